package dev.lifeboat.activities.archive;

import java.util.concurrent.Semaphore;

/**
 * Archive buffers a writer may take beyond its own four, from a budget all writers in the JVM
 * share. On a disk slower than the compression (the bench VM's AMD host wrote 206-311 MiB/s) they
 * let the compression run on through the disk's stalls: alternated cold backups of the bench tree
 * took 5.13 s with them against 5.35 s without. The budget keeps runs at once (up to eight
 * activities) finding their own buffers in the JVM's direct memory (64 MiB with {@code
 * scripts/jvm-opts.sh}).
 */
final class SpareBuffers {
  private SpareBuffers() {}

  /** The most one writer takes. */
  static final int PER_WRITER = 12;

  /** The budget, in 1 MiB buffers. */
  static final int TOTAL = 16;

  private static final Semaphore FREE = new Semaphore(TOTAL);

  /** One spare buffer, if the budget has one. */
  static boolean take() {
    return FREE.tryAcquire();
  }

  /** Gives back {@code n} spare buffers. */
  static void give(int n) {
    if (n > 0) {
      FREE.release(n);
    }
  }

  /** How many the budget has now. */
  static int free() {
    return FREE.availablePermits();
  }
}
