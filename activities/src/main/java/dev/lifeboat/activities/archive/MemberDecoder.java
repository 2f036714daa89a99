package dev.lifeboat.activities.archive;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Decodes runs of gzip members read by position from an archive file, one member at a time in a
 * single call to libdeflate (Debian's {@code libdeflate0}, through JNA): several times the JDK
 * zlib's speed, and a stored member (noise, weights) is little more than a copy. Any member
 * libdeflate does not take (bigger than the buffers, or damaged) and everything after it in the
 * range is read by the JDK's zlib instead, so a damaged member fails with the same message as
 * before. One instance per thread; its native buffers are freed by {@link #close}.
 */
final class MemberDecoder implements AutoCloseable {
  /** Room for a stored member of a whole chunk ({@link GzipMembers.Settings#DEFAULT_CHUNK}). */
  static final int IN_BYTES = (1 << 20) + (256 << 10);

  static final int OUT_BYTES = (1 << 20) + (256 << 10);

  private static final int SUCCESS = 0;

  private final Compression format;
  private final Pointer decompressor;
  private final Memory in;
  private final Memory out;
  private final Memory sizes;

  /** A gzip decoder with libdeflate when it loads, the JDK's zlib alone otherwise. */
  MemberDecoder() {
    this(Compression.GZIP);
  }

  /** A decoder for archives of {@code format}: zstd frames go through zstd-jni's stream. */
  MemberDecoder(Compression format) {
    this.format = format;
    Pointer d =
        format == Compression.GZIP && LibDeflate.AVAILABLE
            ? LibDeflate.libdeflate_alloc_decompressor()
            : null;
    if (d == null) {
      decompressor = null;
      in = null;
      out = null;
      sizes = null;
    } else {
      decompressor = d;
      in = new Memory(IN_BYTES);
      out = new Memory(OUT_BYTES);
      sizes = new Memory(16);
    }
  }

  /**
   * The bytes that the gzip members in {@code [offset, offset + length)} of {@code ch} decode to.
   */
  InputStream open(FileChannel ch, long offset, long length) {
    return new Decoded(ch, offset, offset + length);
  }

  @Override
  public void close() {
    if (decompressor != null) {
      LibDeflate.libdeflate_free_decompressor(decompressor);
      in.close();
      out.close();
      sizes.close();
    }
  }

  /**
   * One decoder per thread of a pool, all freed together by {@link #close}, which the owner calls
   * only once the pool's threads have ended (a decoder in use must not be freed).
   */
  static final class PerThread implements AutoCloseable {
    private final java.util.List<MemberDecoder> all =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final ThreadLocal<MemberDecoder> mine;

    PerThread() {
      this(Compression.GZIP);
    }

    PerThread(Compression format) {
      mine =
          ThreadLocal.withInitial(
              () -> {
                MemberDecoder d = new MemberDecoder(format);
                all.add(d);
                return d;
              });
    }

    MemberDecoder get() {
      return mine.get();
    }

    @Override
    public void close() {
      synchronized (all) {
        all.forEach(MemberDecoder::close);
        all.clear();
      }
    }
  }

  private final class Decoded extends BlockInputStream {
    private final FileChannel ch;
    private final long end;
    private final ByteBuffer outView;
    private long at;
    private int outPos;
    private int outEnd;
    private InputStream fallback;

    Decoded(FileChannel ch, long start, long end) {
      this.ch = ch;
      this.at = start;
      this.end = end;
      this.outView = decompressor == null ? null : out.getByteBuffer(0, OUT_BYTES);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (outPos == outEnd) {
        if (fallback != null) {
          return fallback.read(b, off, len);
        }
        if (at >= end) {
          return -1;
        }
        decodeMember();
      }
      int n = Math.min(len, outEnd - outPos);
      outView.get(outPos, b, off, n);
      outPos += n;
      return n;
    }

    /** The next member through libdeflate, or the rest of the range through the JDK. */
    private void decodeMember() throws IOException {
      if (decompressor == null) {
        useJdk();
        return;
      }
      int window = (int) Math.min(IN_BYTES, end - at);
      ByteBuffer view = in.getByteBuffer(0, window);
      while (view.hasRemaining()) {
        if (ch.read(view, at + view.position()) < 0) {
          break;
        }
      }
      int result =
          LibDeflate.libdeflate_gzip_decompress_ex(
              decompressor, in, view.position(), out, OUT_BYTES, sizes, sizes.share(8));
      if (result != SUCCESS) {
        // too big for the buffers, cut short or damaged: the JDK reads it and says what is wrong
        useJdk();
        return;
      }
      at += sizes.getLong(0);
      outPos = 0;
      outEnd = (int) sizes.getLong(8);
    }

    private void useJdk() throws IOException {
      fallback = format.decoding(new BufferedInputStream(new Range(ch, at, end - at), 64 * 1024));
      outPos = 0;
      outEnd = 0;
    }

    @Override
    public void close() throws IOException {
      if (fallback != null) {
        fallback.close();
      }
    }
  }

  /**
   * {@code length} bytes of a shared channel from {@code start}, read by position (threads share
   * it).
   */
  static final class Range extends BlockInputStream {
    private final FileChannel ch;
    private long at;
    private final long end;

    Range(FileChannel ch, long start, long length) {
      this.ch = ch;
      this.at = start;
      this.end = start + length;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (at >= end) {
        return -1;
      }
      int k = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - at)), at);
      if (k < 0) {
        return -1;
      }
      at += k;
      return k;
    }
  }

  /** libdeflate's decompressor, bound by JNA direct mapping. */
  private static final class LibDeflate {
    static final boolean AVAILABLE;

    static {
      // Deflate logs a missing library once; members are then read by the JDK's zlib
      AVAILABLE = NativeLibs.register(LibDeflate.class, "libdeflate.so.0") == null;
    }

    static native Pointer libdeflate_alloc_decompressor();

    static native int libdeflate_gzip_decompress_ex(
        Pointer d,
        Pointer in,
        long inBytes,
        Pointer out,
        long outAvail,
        Pointer actualIn,
        Pointer actualOut);

    static native void libdeflate_free_decompressor(Pointer d);
  }
}
