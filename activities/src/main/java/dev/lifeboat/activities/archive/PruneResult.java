package dev.lifeboat.activities.archive;

import java.util.List;
import java.util.Map;

/**
 * What a prune did to one source: archive names deleted and kept (oldest first), with the reasons each
 * kept archive was kept ({@code keepLast}, {@code keepWithin}, {@code pinned}, {@code newestGood}, {@code newestVerified},
 * {@code damaged}: kept for forensics, never counted).
 */
public record PruneResult(
    String set, String source, List<String> deleted, List<String> kept, Map<String, List<String>> keptBecause) {
  public PruneResult {
    deleted = List.copyOf(deleted);
    kept = List.copyOf(kept);
    keptBecause = Map.copyOf(keptBecause);
  }
}
