package dev.lifeboat.activities.archive;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a prune did (or, with {@code dryRun}, would do) to one source: archive names deleted and
 * kept (oldest first), why each kept archive was kept ({@code keepLast}, {@code keepDaily}, ...,
 * {@code keepWithin}, {@code pinned}, {@code newestGood}, {@code newestVerified}, {@code damaged}:
 * kept for forensics, never counted, {@code missing}: the record of a verified archive whose file
 * is gone, kept so its loss stays listed, never counted) and why each deleted one went ({@code no
 * rule keeps it}, {@code over quota maxBytes=N}). {@code keptBytes} is the size of the good
 * archives left, what {@code maxBytes} is compared with.
 */
public record PruneResult(
    String set,
    String source,
    boolean dryRun,
    List<String> deleted,
    List<String> kept,
    Map<String, List<String>> keptBecause,
    Map<String, String> deletedBecause,
    long keptBytes) {
  public PruneResult {
    deleted = List.copyOf(deleted);
    kept = List.copyOf(kept);
    // oldest first, as the lists
    keptBecause = Collections.unmodifiableMap(new LinkedHashMap<>(keptBecause));
    deletedBecause = Collections.unmodifiableMap(new LinkedHashMap<>(deletedBecause));
  }
}
