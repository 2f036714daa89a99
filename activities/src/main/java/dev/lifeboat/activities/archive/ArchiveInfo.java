package dev.lifeboat.activities.archive;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What a listing shows about one archive; a damaged one's manifest numbers may be 0 (manifest
 * unreadable). {@code missing}: the archive file is gone while its manifest and state record say it
 * was a backup (verified, pinned); such an archive is damaged, its size 0, its path where the file
 * was. {@code unreadable}: the entries its backup could not read and left out, as its manifest
 * records them; null when the manifest does not say (written before it was recorded, or
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
    boolean pinned,
    boolean missing,
    Long unreadable) {

  public boolean verified() {
    return state.isVerified();
  }

  public boolean damaged() {
    return state.isDamaged();
  }

  /** Whether its backup left out entries it could not read: it holds less than its source. */
  public boolean incomplete() {
    return unreadable != null && unreadable > 0;
  }

  public ArchiveRef ref() {
    return new ArchiveRef(set, source, name, path);
  }
}
