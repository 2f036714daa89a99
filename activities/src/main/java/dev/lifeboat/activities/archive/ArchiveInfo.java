package dev.lifeboat.activities.archive;

import java.nio.file.Path;
import java.time.Instant;

/** What a listing shows about one archive. */
public record ArchiveInfo(
    String set,
    String source,
    String name,
    Path path,
    Instant createdAt,
    long sizeBytes,
    long files,
    long bytes,
    boolean verified,
    boolean pinned) {

  public ArchiveRef ref() {
    return new ArchiveRef(set, source, name, path);
  }
}
