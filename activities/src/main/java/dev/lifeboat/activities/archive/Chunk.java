package dev.lifeboat.activities.archive;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Native memory that a chunk of the tar stream is gathered in: file bytes are read into it by the
 * kernel, and SHA-256, the deflate engines and the CRC read it where it is, with no copy through
 * the heap. It is malloc'd (not counted against {@code MaxDirectMemorySize}, which the archive's
 * write buffers need) and taken from a pool shared by all archives being written, at most {@link
 * #POOLED} bytes of it kept between uses.
 *
 * <p>Who reads a chunk holds it: the writer that fills it, the worker that compresses it, the
 * thread that digests the file bytes read into it. It goes back to the pool when the last lets go;
 * memory still held by a task that never ran is freed by JNA's cleaner.
 */
final class Chunk {
  /**
   * Zeroed bytes after a chunk's room: wide loads of the native code near the end of its input stay
   * inside the allocation.
   */
  static final int SLACK = 64;

  /** The sizes chunks come in: an entry that is only a header, a pack, a full member. */
  static final int SMALL = 8 * 1024;

  /** At most this much memory waits in each size's pool. */
  private static final long POOLED = 16L << 20;

  /** Idle chunks of one size, and how many there are. */
  private record Pool(int room, ConcurrentLinkedQueue<Chunk> idle, AtomicInteger count) {
    Pool(int room) {
      this(room, new ConcurrentLinkedQueue<>(), new AtomicInteger());
    }
  }

  // chunks of other sizes (settings other than the defaults) are not kept
  private static final Pool[] POOLS = {
    new Pool(SMALL), new Pool(GzipMembers.PACK_ARRAY), new Pool(GzipMembers.FULL)
  };

  private final Memory memory;
  private final ByteBuffer buffer;
  private final int room;
  private final AtomicInteger holders = new AtomicInteger(1);

  private Chunk(int room) {
    this.room = room;
    memory = new Memory(room + SLACK);
    memory.clear();
    buffer = memory.getByteBuffer(0, room + SLACK);
  }

  /**
   * A chunk with room for {@code room} bytes (one of {@link #SMALL}, {@code pack} or {@code full}
   * as the caller sizes them), held once by the caller, its bytes not yet written.
   */
  static Chunk take(int room) {
    Pool pool = pool(room);
    Chunk c = pool == null ? null : pool.idle().poll();
    if (c != null) {
      pool.count().decrementAndGet();
      c.holders.set(1);
      return c;
    }
    return new Chunk(room);
  }

  /** Bytes it can take. */
  int room() {
    return room;
  }

  /**
   * The chunk's bytes: a view of its own (position and limit free to set), absolute offsets from 0.
   */
  ByteBuffer bytes() {
    return buffer.duplicate().clear().limit(room);
  }

  /** One more reader: it must {@link #release} once done. */
  Chunk hold() {
    holders.incrementAndGet();
    return this;
  }

  /** A reader is done; the last one gives the memory back to the pool (or frees it). */
  void release() {
    int left = holders.decrementAndGet();
    if (left > 0) {
      return;
    }
    if (left < 0) {
      throw new IllegalStateException("a chunk was released more often than held");
    }
    Pool pool = pool(room);
    if (pool != null && pool.count().incrementAndGet() * (long) room <= POOLED) {
      pool.idle().add(this);
    } else {
      if (pool != null) {
        pool.count().decrementAndGet();
      }
      memory.close();
    }
  }

  private static Pool pool(int room) {
    for (Pool p : POOLS) {
      if (p.room() == room) {
        return p;
      }
    }
    return null;
  }
}
