package dev.lifeboat.activities.archive;

import java.util.List;

/**
 * A published archive: {@code files} regular files holding {@code bytes} bytes, {@code compressedBytes}
 * on disk, the entries that could not be archived (sockets, devices, fifos), and the leftovers of an
 * interrupted earlier write to the same source that were removed first ({@code cleaned}, file names).
 */
public record BackupResult(
    ArchiveRef ref, long entries, long files, long bytes, long compressedBytes, String sha256, List<String> skipped,
    List<String> cleaned) {
  public BackupResult {
    skipped = List.copyOf(skipped);
    cleaned = List.copyOf(cleaned);
  }

  public BackupResult(ArchiveRef ref, long entries, long files, long bytes, long compressedBytes, String sha256,
      List<String> skipped) {
    this(ref, entries, files, bytes, compressedBytes, sha256, skipped, List.of());
  }
}
