package dev.lifeboat.activities.archive;

import java.util.List;

/**
 * A published archive: {@code files} regular files holding {@code bytes} bytes, {@code
 * compressedBytes} on disk; {@code skipped} lists what could not be archived (sockets, devices,
 * fifos, unreadable or vanished files: {@link #unreadable} the latter), {@code changed} the files
 * that changed while they were read (archived as described by the manifest), {@code cleaned} the
 * leftovers of an interrupted earlier write to the same source that were removed first. {@code
 * reusedFiles} files ({@code reusedBytes} bytes) were copied unread from {@code reusedFrom}, the
 * previous archive the backup compared with (null when there was none to compare with).
 */
public record BackupResult(
    ArchiveRef ref,
    long entries,
    long files,
    long bytes,
    long compressedBytes,
    String sha256,
    List<PathNote> skipped,
    List<PathNote> changed,
    List<String> cleaned,
    long reusedFiles,
    long reusedBytes,
    String reusedFrom) {
  public BackupResult {
    skipped = List.copyOf(skipped);
    changed = List.copyOf(changed);
    cleaned = List.copyOf(cleaned);
  }

  /** A result that reused nothing. */
  public BackupResult(
      ArchiveRef ref,
      long entries,
      long files,
      long bytes,
      long compressedBytes,
      String sha256,
      List<PathNote> skipped,
      List<PathNote> changed,
      List<String> cleaned) {
    this(
        ref, entries, files, bytes, compressedBytes, sha256, skipped, changed, cleaned, 0, 0, null);
  }

  /** The skipped entries that could not be read: the archive holds less than its source did. */
  public List<PathNote> unreadable() {
    return skipped.stream().filter(PathNote::unreadable).toList();
  }

  /** The files of {@code changed} that shrank while read: archived padded with zeros. */
  public List<PathNote> padded() {
    return changed.stream().filter(PathNote::padded).toList();
  }
}
