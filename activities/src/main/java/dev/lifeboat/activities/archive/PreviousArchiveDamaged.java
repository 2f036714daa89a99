package dev.lifeboat.activities.archive;

import java.io.IOException;

/**
 * Members being copied from the previous archive are not the bytes that archive was written with:
 * their CRC-32C differs from the one its manifest recorded (the disk changed them after the archive
 * was verified). Nothing of the new archive is published; the previous archive is marked damaged,
 * so the next attempt reads those files from the source instead.
 */
final class PreviousArchiveDamaged extends IOException {
  PreviousArchiveDamaged(String message) {
    super(message);
  }

  PreviousArchiveDamaged(String message, PreviousArchiveDamaged cause) {
    super(message, cause);
  }
}
