package dev.lifeboat.activities.archive;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ISA-L's igzip (Debian's {@code libisal2}, through JNA) at its level 1, one-shot, raw deflate. On
 * bytes that compress only by their skewed byte counts (float32 and bf16 weights) it gives
 * libdeflate's size at 6–8 times its speed; where repeats matter (text, code, quantised tensors)
 * its cruder matching is 3–10 % larger, so {@link Deflate} gives it binary bytes only where a
 * sample shows it nearly as small, and text only at the fastest level. One instance per thread; not
 * thread-safe.
 */
final class Igzip implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Igzip.class);

  // struct isal_zstream of libisal.so.2 (igzip_lib.h): the fields set here, by offset; sizeof is
  // 82,384 bytes in 2.30, allocated with room to spare. A round trip checked at load guards the
  // layout: a library that disagrees is not used.
  private static final int STREAM_BYTES = 256 * 1024;
  private static final long NEXT_IN = 0;
  private static final long AVAIL_IN = 8;
  private static final long NEXT_OUT = 16;
  private static final long AVAIL_OUT = 24;
  private static final long TOTAL_OUT = 28;
  private static final long LEVEL = 40;
  private static final long LEVEL_BUF_SIZE = 44;
  private static final long LEVEL_BUF = 48;
  private static final long END_OF_STREAM = 56;
  private static final long FLUSH = 58;
  private static final long GZIP_FLAG = 60;
  // the window: isal_deflate_stateless_init leaves it as it was, and a stale 1..14 shrinks the
  // 32 KiB window (text came out twice as large, at random); 0 means the full window
  private static final long HIST_BITS = 62;
  // ISAL_DEF_LVL1_DEFAULT: the level's hash tables and token buffer
  private static final int LEVEL_BUF_BYTES = 282_624;

  static final boolean AVAILABLE;
  static final String PROBLEM;

  static {
    String problem = NativeLibs.register(Igzip.class, "libisal.so.2");
    if (problem == null) {
      problem = selfCheck();
    }
    AVAILABLE = problem == null;
    PROBLEM = problem;
    if (!AVAILABLE) {
      LOG.info(
          "ISA-L igzip not used ({}): float weights and text are deflated by libdeflate, several"
              + " times slower on weights; install the libisal2 package for speed",
          problem);
    }
  }

  private static native void isal_deflate_stateless_init(Pointer stream);

  private static native int isal_deflate_stateless(Pointer stream);

  private final Memory stream = new Memory(STREAM_BYTES);
  private final Memory levelBuf = new Memory(LEVEL_BUF_BYTES);

  Igzip() {
    // malloc'd: whatever the library reads and does not set must not depend on earlier use
    stream.clear();
    levelBuf.clear();
  }

  /**
   * Raw deflate of {@code inLen} bytes at {@code in} into at most {@code outAvail} bytes at {@code
   * out}; returns the length, or -1 when it does not fit (or igzip refused).
   */
  int deflate(Pointer in, int inLen, Pointer out, int outAvail) {
    isal_deflate_stateless_init(stream);
    stream.setPointer(NEXT_IN, in);
    stream.setInt(AVAIL_IN, inLen);
    stream.setPointer(NEXT_OUT, out);
    stream.setInt(AVAIL_OUT, outAvail);
    stream.setInt(LEVEL, 1);
    stream.setInt(LEVEL_BUF_SIZE, LEVEL_BUF_BYTES);
    stream.setPointer(LEVEL_BUF, levelBuf);
    stream.setShort(END_OF_STREAM, (short) 1);
    stream.setShort(FLUSH, (short) 0);
    stream.setShort(GZIP_FLAG, (short) 0);
    stream.setShort(HIST_BITS, (short) 0);
    int rc = isal_deflate_stateless(stream);
    return rc == 0 ? stream.getInt(TOTAL_OUT) : -1;
  }

  @Override
  public void close() {
    stream.close();
    levelBuf.close();
  }

  /** Compresses known bytes and inflates them with the JDK: null when they come back. */
  private static String selfCheck() {
    byte[] data = new byte[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i % 7 == 0 ? i * 31 : i % 5);
    }
    try (Igzip g = new Igzip();
        Memory in = new Memory(data.length);
        Memory out = new Memory(data.length + 1024)) {
      in.write(0, data, 0, data.length);
      int n = g.deflate(in, data.length, out, (int) out.size());
      if (n <= 0) {
        return "igzip refused a test buffer";
      }
      Inflater inflater = new Inflater(true);
      try {
        inflater.setInput(out.getByteArray(0, n));
        byte[] back = new byte[data.length + 1];
        int k = inflater.inflate(back);
        return inflater.finished() && k == data.length && Arrays.equals(data, 0, k, back, 0, k)
            ? null
            : "igzip's output did not inflate to its input";
      } finally {
        inflater.end();
      }
    } catch (DataFormatException e) {
      return "igzip's output is not deflate: " + e.getMessage();
    }
  }
}
