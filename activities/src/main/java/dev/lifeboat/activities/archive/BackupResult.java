package dev.lifeboat.activities.archive;

import java.util.List;

/**
 * A published archive: {@code files} regular files holding {@code bytes} bytes, {@code compressedBytes}
 * on disk, and the entries that could not be archived (sockets, devices, fifos).
 */
public record BackupResult(
    ArchiveRef ref, long entries, long files, long bytes, long compressedBytes, String sha256, List<String> skipped) {
  public BackupResult {
    skipped = List.copyOf(skipped);
  }
}
