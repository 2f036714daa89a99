package dev.lifeboat.activities.archive;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What a listing shows about one archive; a damaged one's manifest numbers may be 0 (manifest
 * unreadable).
 */
public record ArchiveInfo(
    String set,
    String source,
    String name,
    Path path,
    Instant createdAt,
    long sizeBytes,
    long files,
    long bytes,
    ArchiveState state,
    boolean pinned) {

  public boolean verified() {
    return state.isVerified();
  }

  public boolean damaged() {
    return state.isDamaged();
  }

  public ArchiveRef ref() {
    return new ArchiveRef(set, source, name, path);
  }
}
