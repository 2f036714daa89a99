package dev.lifeboat.activities.archive;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What a listing shows about one archive; a damaged one's manifest numbers may be 0 (manifest
 * unreadable). {@code missing}: the archive file is gone while its manifest and state record say it
 * was a backup (verified, pinned); such an archive is damaged, its size 0, its path where the file
 * was.
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
    boolean pinned,
    boolean missing) {

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
