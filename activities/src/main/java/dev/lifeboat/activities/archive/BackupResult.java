package dev.lifeboat.activities.archive;

import java.util.List;

/**
 * A published archive: {@code files} regular files holding {@code bytes} bytes, {@code compressedBytes}
 * on disk; {@code skipped} lists what could not be archived (sockets, devices, fifos, unreadable or vanished
 * files), {@code changed} the files that changed while they were read (archived as described by the manifest),
 * {@code cleaned} the leftovers of an interrupted earlier write to the same source that were removed first.
 */
public record BackupResult(ArchiveRef ref, long entries, long files, long bytes, long compressedBytes, String sha256,
    List<PathNote> skipped, List<PathNote> changed, List<String> cleaned) {
  public BackupResult {
    skipped = List.copyOf(skipped);
    changed = List.copyOf(changed);
    cleaned = List.copyOf(cleaned);
  }
}
