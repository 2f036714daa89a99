package dev.lifeboat.activities.archive;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Turns a run of bytes into one complete zstd frame, with its content size and checksum (so a
 * flipped byte fails the read rather than restoring wrong data). A context per concurrent caller is
 * kept for reuse: creating one per frame would cost more than compressing a small file.
 */
final class ZstdFrames implements AutoCloseable {
  /** What {@code zstd -1} does: the speed {@code tar | zstd -T0 -1} users compare against. */
  static final int DEFAULT_LEVEL = 1;

  // per worker thread: a chunk's bytes on their way from native memory to zstd-jni
  private static final ThreadLocal<byte[]> HEAP = ThreadLocal.withInitial(() -> new byte[0]);

  private final int level;
  private final ConcurrentLinkedQueue<ZstdCompressCtx> idle = new ConcurrentLinkedQueue<>();
  private final List<ZstdCompressCtx> all = new ArrayList<>();

  ZstdFrames(int level) {
    this.level = level;
  }

  /** The most bytes {@link #frame} can write for {@code length} input bytes. */
  static int bound(int length) {
    return Math.toIntExact(Zstd.compressBound(length));
  }

  /** Writes a frame of {@code in[off, off+len)} at {@code out[outOff]}; returns its length. */
  int frame(byte[] in, int off, int len, byte[] out, int outOff) {
    ZstdCompressCtx ctx = idle.poll();
    if (ctx == null) {
      ctx = new ZstdCompressCtx().setLevel(level).setChecksum(true).setContentSize(true);
      synchronized (all) {
        all.add(ctx);
      }
    }
    try {
      return ctx.compressByteArray(out, outOff, out.length - outOff, in, off, len);
    } finally {
      idle.add(ctx);
    }
  }

  /**
   * As {@link #frame(byte[], int, int, byte[], int)} for {@code in}'s bytes at absolute offsets; a
   * direct buffer's are copied to the heap first.
   */
  int frame(java.nio.ByteBuffer in, int off, int len, byte[] out, int outOff) {
    if (in.hasArray()) {
      return frame(in.array(), in.arrayOffset() + off, len, out, outOff);
    }
    byte[] heap = HEAP.get();
    if (heap.length < len) {
      heap = new byte[len];
      HEAP.set(heap);
    }
    in.get(off, heap, 0, len);
    return frame(heap, 0, len, out, outOff);
  }

  /** Frees the native contexts; one still in use is freed when its call returns. */
  @Override
  public void close() {
    synchronized (all) {
      all.forEach(ZstdCompressCtx::close);
      all.clear();
    }
  }
}
