package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A few buffers of one size that go from a producer to a thread of their own and back: allocated as
 * first needed, at most {@code count}, so a stage that falls behind makes the producer wait instead
 * of memory grow. A maker that returns null (a budget shared with others is spent) or runs out of
 * memory after the first buffer leaves the pool at the buffers it has.
 */
final class BufferPool<T> {
  private final java.util.function.Supplier<T> make;
  // lowered to what could be had when memory for another buffer could not
  private int count;
  private final BlockingQueue<T> free;
  private int allocated;

  /** Arrays of {@code size} bytes. */
  static BufferPool<byte[]> arrays(int size, int count) {
    return new BufferPool<>(() -> new byte[size], count);
  }

  BufferPool(java.util.function.Supplier<T> make, int count) {
    this.make = make;
    this.count = count;
    this.free = new ArrayBlockingQueue<>(count);
  }

  /**
   * A free buffer, waiting for one while all are in flight; only the producer's thread calls this.
   * {@code what} names the work in the message of an interrupt or of memory that could not be had.
   */
  T take(String what) throws IOException {
    T b = free.poll();
    if (b != null) {
      return b;
    }
    if (allocated < count) {
      T made = null;
      OutOfMemoryError shortOfMemory = null;
      try {
        made = make.get();
      } catch (OutOfMemoryError e) {
        // direct memory held by other runs at once
        shortOfMemory = e;
      }
      if (made != null) {
        allocated++;
        return made;
      }
      if (allocated == 0) {
        throw shortOfMemory != null
            ? new IOException(
                "no memory for a buffer while " + what + " (" + shortOfMemory.getMessage() + ")",
                shortOfMemory)
            : new IOException("no buffer could be had while " + what);
      }
      // refused (memory or a shared budget): go on with the buffers there are
      count = allocated;
    }
    try {
      return free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while " + what);
    }
  }

  /** Gives a buffer back, from any thread. */
  void release(T b) {
    free.add(b);
  }
}
