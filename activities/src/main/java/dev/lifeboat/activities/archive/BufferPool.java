package dev.lifeboat.activities.archive;

import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A few arrays of one size that go from a producer to a thread of their own and back: allocated as
 * first needed, at most {@code count}, so a stage that falls behind makes the producer wait instead
 * of memory grow.
 */
final class BufferPool {
  private final int size;
  private final int count;
  private final BlockingQueue<byte[]> free;
  private int allocated;

  BufferPool(int size, int count) {
    this.size = size;
    this.count = count;
    this.free = new ArrayBlockingQueue<>(count);
  }

  /**
   * A free array, waiting for one while all are in flight; only the producer's thread calls this.
   * {@code what} names the work in the message of an interrupt.
   */
  byte[] take(String what) throws InterruptedIOException {
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    if (allocated < count) {
      allocated++;
      return new byte[size];
    }
    try {
      return free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while " + what);
    }
  }

  /** Gives an array back, from any thread. */
  void release(byte[] b) {
    free.add(b);
  }
}
