package dev.lifeboat.activities.archive;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a run of bytes into one complete gzip member. libdeflate (Debian's {@code libdeflate0},
 * bound through JNA) when the library loads: 2–3 times the JDK zlib's speed at the same level and
 * size; the JDK's zlib otherwise. With libdeflate, ISA-L's {@link Igzip} takes text at level 1 and
 * the binary bytes where a sample shows it as good (float weights). One instance per worker thread;
 * not thread-safe.
 */
abstract class Deflate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Deflate.class);

  /**
   * The header GzipCompressorOutputStream writes by default: no name, no time, no extra flags, OS
   * unknown.
   */
  static final byte[] HEADER = {
    0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff
  };

  private static final int STORED_BLOCK = 65535;

  /** Which implementation to use; AUTO is libdeflate when it loads. */
  enum Engine {
    AUTO,
    LIBDEFLATE,
    ZLIB
  }

  /** What a segment is, as far as deflate cares. */
  enum Kind {
    /** Random-looking bytes: stored, deflate cannot win. */
    NOISE,
    /** Compressible bytes that are not text (weights, arrays, code): {@link #binaryLevel}. */
    BINARY,
    /**
     * Binary bytes that igzip codes as small as libdeflate does, or nearly: float32 and bf16
     * weights (their byte counts do it all, repeats add nothing), and such weights beside runs of
     * zeros. {@link Igzip}, several times faster there.
     */
    FLAT,
    /** Text (notebooks, code, CSV, JSON): the configured level. */
    TEXT,
    /**
     * Text at the default level 1, the fastest: {@link Igzip}, twice libdeflate's level 1 speed for
     * 1.5-3 % more on CSV, JSON lines and notebooks (4-13 % on code). A user who asks for a higher
     * level asks for size: libdeflate at that level keeps all text.
     */
    FAST_TEXT
  }

  /**
   * How much larger than libdeflate's igzip's sample of binary bytes with repeats may be for {@link
   * Kind#FLAT} when the user asked for a level above 1, i.e. for size.
   */
  static final double FLAT_SLACK = 0.015;

  /**
   * The same at the default level 1, which asks for speed: quantised tensors come out 7-8 % larger
   * through igzip than through libdeflate at {@link #BINARY_LEVEL}, at a quarter of its CPU (on the
   * bench's checkpoints libdeflate spent ~0.5 CPU-s of a 3.8 s backup on 8 % of their bytes).
   */
  static final double FAST_FLAT_SLACK = 0.10;

  /**
   * Bits a byte from which igzip's output at the order-0 bound settles the trial without
   * libdeflate's: float32, float16 and the like measure 7-7.6.
   */
  static final double ORDER0_ENOUGH = 6;

  /**
   * The level of binary segments at the default text level 1, and their least. Weights compress by
   * their skewed byte counts (Huffman coding), hardly by the repeats the lazy matching of levels 5
   * and up is made for: on quantised weights level 2 is within 0.5 % of level 5 at 60 % of its CPU,
   * while level 1 is 5 % larger (its matching is cruder); on float32 weights levels 1–6 give the
   * same size within 0.1 %. Machine code and compiled Python do repeat: in a venv's {@code .so} and
   * {@code .pyc} files level 6 is 8-9 % smaller than level 2, so a user who asks for a higher level
   * (for size) has binary bytes deflated at it too ({@link #binaryLevel}).
   */
  static final int BINARY_LEVEL = 2;

  /** The level of binary segments when text is deflated at {@code level}. */
  static int binaryLevel(int level) {
    return Math.max(BINARY_LEVEL, level);
  }

  static Deflate create(Engine engine, int level) {
    int binary = binaryLevel(level);
    if (engine != Engine.ZLIB && LibDeflate.AVAILABLE) {
      return new LibDeflate(level, binary);
    }
    if (engine == Engine.LIBDEFLATE) {
      throw new IllegalStateException("libdeflate is not available: " + LibDeflate.PROBLEM);
    }
    return new Zlib(level, binary);
  }

  /** The name of what {@link Engine#AUTO} uses here, for logs and the benchmark. */
  static String autoName() {
    return LibDeflate.AVAILABLE ? "libdeflate" : "zlib (libdeflate: " + LibDeflate.PROBLEM + ")";
  }

  /** The most bytes {@link #gzip} can write for {@code length} input bytes. */
  abstract int bound(int length);

  /**
   * Writes a gzip member of {@code in[off, off+len)} at {@code out[outOff]}: stored for noise,
   * deflated at the kind's level otherwise; returns its length.
   */
  final int gzip(Kind kind, byte[] in, int off, int len, byte[] out, int outOff) {
    return gzip(kind, ByteBuffer.wrap(in), off, len, out, outOff);
  }

  /**
   * As {@link #gzip(Kind, byte[], int, int, byte[], int)} for {@code in}'s bytes at absolute
   * offsets: a direct buffer (a {@link Chunk}'s) is read where it is by the native engines.
   */
  final int gzip(Kind kind, ByteBuffer in, int off, int len, byte[] out, int outOff) {
    return switch (kind) {
      case NOISE -> stored(in, off, len, out, outOff);
      case FLAT -> igzip(false, in, off, len, out, outOff);
      case FAST_TEXT -> igzip(true, in, off, len, out, outOff);
      default -> deflate(kind == Kind.TEXT, in, off, len, out, outOff);
    };
  }

  abstract int deflate(boolean text, ByteBuffer in, int off, int len, byte[] out, int outOff);

  /**
   * A {@link Kind#FLAT} or {@link Kind#FAST_TEXT} member; where there is no faster engine, as
   * binary or text.
   */
  int igzip(boolean text, ByteBuffer in, int off, int len, byte[] out, int outOff) {
    return deflate(text, in, off, len, out, outOff);
  }

  /**
   * Starts a chunk: forgets its trials of the faster engine. A trial holds for the chunk's later
   * binary segments whose byte entropy is within {@link #SAME_NATURE} of the tried one: a tensor's
   * segments measure alike, while float and quantised weights differ by bits, not hundredths. A
   * chunk remembers a few such natures, as a checkpoint's tensors alternate.
   */
  final void beginChunk() {
    tried = 0;
  }

  /** Byte entropies (bits a byte) this close describe bytes of one nature. */
  static final double SAME_NATURE = 0.1;

  private final double[] triedBits = new double[4];
  private final boolean[] triedFaster = new boolean[4];
  private int tried;
  private double lastEntropy;

  /** Whether igzip does as well on binary bytes of this nature: see {@link #igzipAsSmall}. */
  private boolean faster(double bits) {
    for (int i = 0; i < tried; i++) {
      if (Math.abs(bits - triedBits[i]) <= SAME_NATURE) {
        return triedFaster[i];
      }
    }
    boolean faster = igzipAsSmall(bits);
    int slot = tried < triedBits.length ? tried++ : triedBits.length - 1;
    triedBits[slot] = bits;
    triedFaster[slot] = faster;
    return faster;
  }

  /**
   * The byte entropy of the sample {@link #kind} looked at last, for telling where bytes of another
   * nature begin.
   */
  final double lastEntropy() {
    return lastEntropy;
  }

  /**
   * What the bytes are: noise is stored, text deflated at the configured level (by igzip at level
   * 1), float weights by igzip, the rest at {@link #binaryLevel}. Text means that at most 1 % of
   * the sample's bytes other than NUL are control bytes: NULs are left out because every tar header
   * is full of them. (UTF-8 is text, a language written mostly outside ASCII too; binary numbers
   * have control bytes in a share of their bytes.)
   */
  final Kind kind(byte[] in, int off, int len) {
    return kind(ByteBuffer.wrap(in), off, len);
  }

  /** As {@link #kind(byte[], int, int)} for {@code in}'s bytes at absolute offsets. */
  final Kind kind(ByteBuffer in, int off, int len) {
    int[] counts = sampleCounts(in, off, len);
    double bits = entropy(counts);
    lastEntropy = bits;
    if (!compresses(bits)) {
      return Kind.NOISE;
    }
    if (isText(counts)) {
      return fastText() ? Kind.FAST_TEXT : Kind.TEXT;
    }
    if (sampleLength == 0) {
      return Kind.BINARY;
    }
    if (bits == 0) {
      // one byte value (zeros: padding, holes, unused tensor room): igzip's output is the smaller
      // (1,037 bytes a MiB against libdeflate's 1,070-1,088) at ~100x the speed (libdeflate took
      // ~130 MB/s on zeros on an AMD EPYC host, igzip ~18 GB/s); a trial on the sample would
      // weigh only the two block headers
      return hasIgzip() ? Kind.FLAT : Kind.BINARY;
    }
    return faster(bits) ? Kind.FLAT : Kind.BINARY;
  }

  /** Whether text goes to igzip: at level 1, where there is igzip. */
  boolean fastText() {
    return false;
  }

  /** Whether {@link Kind#FLAT} goes to igzip. */
  boolean hasIgzip() {
    return false;
  }

  /**
   * Whether the fast engine's output for the sample is no smaller than the sample's order-0 entropy
   * allows, for bytes of at least {@link #ORDER0_ENOUGH} bits (then repeats gave nothing and
   * Huffman coding did it all: float weights measure 0.8-1 % above that bound), or, where repeats
   * were found, within {@link #FLAT_SLACK} of libdeflate's at the binary level (float weights
   * beside runs of zeros; at level 1, within {@link #FAST_FLAT_SLACK}: quantised tensors too). The
   * sample is the one {@link #kind} took last, of byte entropy {@code bits}. False where there is
   * no fast engine.
   */
  boolean igzipAsSmall(double bits) {
    return false;
  }

  private static boolean isText(int[] counts) {
    long bytes = 0;
    long control = counts[0x7f];
    for (int b = 1; b < 256; b++) {
      bytes += counts[b];
      if (b < 0x20 && (b < '\t' || b > '\r')) {
        control += counts[b];
      }
    }
    return bytes > 0 && control * 100 <= bytes;
  }

  /**
   * Whether the bytes are worth deflating. Noise (weights, media, already compressed files) is
   * stored instead, which costs nothing but a copy. The byte entropy of the sample decides the
   * clear cases for almost nothing: text is far below 8 bits a byte, noise at 8. Between them a
   * sample compressed at the fastest level must lose at least 3 %.
   */
  private boolean compresses(double bits) {
    if (bits < CLEARLY_COMPRESSES) {
      return true;
    }
    if (bits > CLEARLY_NOISE) {
      return false;
    }
    return sampleCompresses();
  }

  /** Bits a byte below which Huffman coding alone saves well over 3 %. */
  static final double CLEARLY_COMPRESSES = 7.5;

  /**
   * Bits a byte above which deflate cannot win: 8 KiB of random bytes measure about 7.978 (the
   * estimate runs low by ~0.02 on a sample that size; the few that measure under this go to the
   * deflate trial, which stores them); repeats that only LZ77 would find in such bytes are rare
   * enough to store.
   */
  static final double CLEARLY_NOISE = 7.97;

  /** The sample {@link #kind} took last, compressed at the fastest level, loses at least 3 %. */
  abstract boolean sampleCompresses();

  /** The order-0 entropy, in bits a byte, of the same pieces {@link #sample} takes. */
  static double sampleEntropy(byte[] in, int off, int len) {
    byte[] s = sample(in, off, len);
    return entropy(sampleCounts(s, s.length));
  }

  // the pieces kind() looked at last: sampleCompresses and igzipAsSmall look at them again
  private byte[] sample = new byte[4 * SAMPLE];
  private int sampleLength;

  /** How often each byte value occurs in the pieces {@link #sample} takes. */
  private int[] sampleCounts(ByteBuffer in, int off, int len) {
    sampleLength = sample(in, off, len, sample);
    return sampleCounts(sample, sampleLength);
  }

  /**
   * How often each byte value occurs in {@code s[0, n)}: the loop that touches every sample. Four
   * tables, so a run of one byte value (zeros, a tensor's exponents) does not make every increment
   * wait for the one before; without C2 the loop is not unrolled for it.
   */
  private static int[] sampleCounts(byte[] s, int n) {
    int[] c0 = new int[256];
    int[] c1 = new int[256];
    int[] c2 = new int[256];
    int[] c3 = new int[256];
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      c0[s[i] & 0xff]++;
      c1[s[i + 1] & 0xff]++;
      c2[s[i + 2] & 0xff]++;
      c3[s[i + 3] & 0xff]++;
    }
    for (; i < n; i++) {
      c0[s[i] & 0xff]++;
    }
    for (int b = 0; b < 256; b++) {
      c0[b] += c1[b] + c2[b] + c3[b];
    }
    return c0;
  }

  /** The sample of the bytes {@link #kind} looked at last (the caller must not keep it). */
  final byte[] lastSample() {
    return sampleLength == sample.length ? sample : Arrays.copyOf(sample, sampleLength);
  }

  private static double entropy(int[] counts) {
    long n = 0;
    for (int c : counts) {
      n += c;
    }
    if (n == 0) {
      return 0;
    }
    double bits = 0;
    for (int c : counts) {
      if (c > 0) {
        double p = (double) c / n;
        bits -= p * Math.log(p);
      }
    }
    return bits / Math.log(2);
  }

  @Override
  public abstract void close();

  /** The most bytes {@link #stored} writes for {@code length} input bytes. */
  static int storedBound(int length) {
    return HEADER.length + length + 5 * (length / STORED_BLOCK + 1) + 8;
  }

  /**
   * A gzip member of stored (uncompressed) deflate blocks: still gzip, but no inflate is needed to
   * read it.
   */
  static int stored(byte[] in, int off, int len, byte[] out, int outOff) {
    return stored(ByteBuffer.wrap(in), off, len, out, outOff);
  }

  /**
   * As {@link #stored(byte[], int, int, byte[], int)} for {@code in}'s bytes at absolute offsets.
   */
  static int stored(ByteBuffer in, int off, int len, byte[] out, int outOff) {
    int n = outOff;
    System.arraycopy(HEADER, 0, out, n, HEADER.length);
    n += HEADER.length;
    int at = off;
    int end = off + len;
    do {
      int block = Math.min(STORED_BLOCK, end - at);
      out[n++] = (byte) (at + block == end ? 1 : 0); // BFINAL on the last block, BTYPE 00 (stored)
      out[n++] = (byte) block;
      out[n++] = (byte) (block >>> 8);
      out[n++] = (byte) ~block;
      out[n++] = (byte) (~block >>> 8);
      in.get(at, out, n, block);
      n += block;
      at += block;
    } while (at < end);
    CRC32 crc = new CRC32();
    crc.update(range(in, off, len));
    n = trailer(out, n, (int) crc.getValue(), len);
    return n - outOff;
  }

  static int trailer(byte[] out, int n, int crc, int length) {
    putIntLe(out, n, crc);
    putIntLe(out, n + 4, length);
    return n + 8;
  }

  private static void putIntLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  /**
   * The sample {@link #compresses} looks at: up to four 2 KiB pieces spread over the bytes.
   * Counting its bytes is the one loop every segment runs in Java: 4 KiB pieces cost a cold backup
   * of the bench tree ~0.2 CPU-s more for the same decisions (the archive 5 KB larger).
   */
  static final int SAMPLE = 2048;

  /** libdeflate's one-shot API: the whole run in, a whole gzip member out. */
  static final class LibDeflate extends Deflate {
    static final boolean AVAILABLE;
    static final String PROBLEM;

    static {
      String problem = NativeLibs.register(LibDeflate.class, "libdeflate.so.0");
      AVAILABLE = problem == null;
      PROBLEM = problem;
      if (!AVAILABLE) {
        LOG.info(
            "libdeflate not loaded ({}): archives are compressed with the JDK's slower zlib; install the"
                + " libdeflate0 package for speed",
            problem);
      }
    }

    private static native Pointer libdeflate_alloc_compressor(int level);

    private static native long libdeflate_gzip_compress(
        Pointer c, Pointer in, long inBytes, Pointer out, long outAvail);

    private static native long libdeflate_gzip_compress_bound(Pointer c, long inBytes);

    private static native void libdeflate_free_compressor(Pointer c);

    private final int textLevel;
    private Pointer compressor;
    private Pointer binary;
    private Pointer fastest;
    private ByteBuffer in = ByteBuffer.allocateDirect(0);
    private ByteBuffer out = ByteBuffer.allocateDirect(0);
    // null without ISA-L: FLAT and FAST_TEXT then go to libdeflate
    private Igzip igzip;
    private final CRC32 crc = new CRC32();

    LibDeflate(int level, int binaryLevel) {
      this(level, binaryLevel, Igzip.AVAILABLE);
    }

    /** {@code useIgzip} false: as on a machine without ISA-L. */
    LibDeflate(int level, int binaryLevel, boolean useIgzip) {
      igzip = useIgzip ? new Igzip() : null;
      textLevel = level;
      compressor = libdeflate_alloc_compressor(level);
      binary = libdeflate_alloc_compressor(binaryLevel);
      fastest = libdeflate_alloc_compressor(1);
      if (compressor == null || binary == null || fastest == null) {
        close();
        throw new IllegalStateException(
            "libdeflate could not allocate a compressor for level " + level);
      }
    }

    @Override
    int bound(int length) {
      return (int)
          Math.max(
              libdeflate_gzip_compress_bound(compressor, length),
              libdeflate_gzip_compress_bound(binary, length));
    }

    @Override
    int deflate(boolean text, ByteBuffer input, int off, int len, byte[] output, int outOff) {
      return run(text ? compressor : binary, input, off, len, output, outOff, bound(len));
    }

    @Override
    int igzip(boolean text, ByteBuffer input, int off, int len, byte[] output, int outOff) {
      if (igzip == null) {
        return super.igzip(text, input, off, len, output, outOff);
      }
      int n = igzipRaw(input, off, len, bound(len) - HEADER.length - 8);
      if (n < 0) {
        return deflate(text, input, off, len, output, outOff);
      }
      System.arraycopy(HEADER, 0, output, outOff, HEADER.length);
      out.clear();
      out.get(output, outOff + HEADER.length, n);
      crc.reset();
      crc.update(range(input, off, len));
      return trailer(output, outOff + HEADER.length + n, (int) crc.getValue(), len) - outOff;
    }

    @Override
    boolean fastText() {
      return hasIgzip() && textLevel == 1;
    }

    @Override
    boolean hasIgzip() {
      return igzip != null;
    }

    @Override
    boolean igzipAsSmall(double bits) {
      if (igzip == null) {
        return false;
      }
      byte[] sample = lastSample();
      int n = igzipRaw(ByteBuffer.wrap(sample), 0, sample.length, sample.length + 1024);
      if (n < 0) {
        return false;
      }
      // Only float weights (7-8 bits a byte) gain nothing from repeats: below that, libdeflate's
      // matching beats the order-0 bound where igzip's does not (int32 labels and Zipf-distributed
      // token ids at 1.7 bits, igzip 13-18 % larger; uint8 labels at 3.3 bits, 9 %), and its size
      // decides.
      if (bits >= ORDER0_ENOUGH && n * 8.0 >= bits * sample.length) {
        return true;
      }
      // the sample is still in the input buffer
      long l =
          libdeflate_gzip_compress(
              binary,
              Native.getDirectBufferPointer(in),
              sample.length,
              Native.getDirectBufferPointer(out),
              sample.length + 1024);
      double slack = textLevel == 1 ? FAST_FLAT_SLACK : FLAT_SLACK;
      return l > 0 && n <= (l - HEADER.length - 8) * (1 + slack);
    }

    /**
     * igzip's raw deflate of the bytes, left in the native output buffer: its length, or -1 when it
     * needs more than {@code room}.
     */
    private int igzipRaw(ByteBuffer input, int off, int len, int room) {
      Pointer from = fill(input, off, len, room);
      return igzip.deflate(from, len, Native.getDirectBufferPointer(out), room);
    }

    @Override
    boolean sampleCompresses() {
      byte[] sample = lastSample();
      byte[] o = new byte[(int) libdeflate_gzip_compress_bound(fastest, sample.length)];
      int n =
          run(fastest, ByteBuffer.wrap(sample), 0, sample.length, o, 0, o.length)
              - HEADER.length
              - 8;
      return n < sample.length * 0.97;
    }

    /**
     * Where the native engines read the input, and room for {@code avail} of output: a direct
     * buffer's bytes where they are (a {@link Chunk} has zeroed room after its own), heap bytes
     * copied into the native buffer.
     */
    private Pointer fill(ByteBuffer input, int off, int len, int avail) {
      if (out.capacity() < avail) {
        out = ByteBuffer.allocateDirect(avail);
      }
      if (input.isDirect()) {
        return Native.getDirectBufferPointer(input).share(off);
      }
      if (in.capacity() < len + Chunk.SLACK) {
        in = ByteBuffer.allocateDirect(len + Chunk.SLACK);
      }
      in.clear();
      in.put(input.array(), input.arrayOffset() + off, len);
      // a little zeroed room after the input: no wide load of the libraries near its end leaves
      // the buffer
      in.put(ZEROS, 0, Chunk.SLACK);
      return Native.getDirectBufferPointer(in);
    }

    private static final byte[] ZEROS = new byte[Chunk.SLACK];

    private int run(
        Pointer c, ByteBuffer input, int off, int len, byte[] output, int outOff, int avail) {
      Pointer from = fill(input, off, len, avail);
      long n = libdeflate_gzip_compress(c, from, len, Native.getDirectBufferPointer(out), avail);
      if (n <= 0 || n > output.length - outOff) {
        throw new IllegalStateException(
            "libdeflate gave " + n + " bytes for " + len + " (room " + avail + ")");
      }
      out.clear();
      out.get(output, outOff, (int) n);
      return (int) n;
    }

    @Override
    public void close() {
      if (igzip != null) {
        igzip.close();
        igzip = null;
      }
      if (compressor != null) {
        libdeflate_free_compressor(compressor);
        compressor = null;
      }
      if (fastest != null) {
        libdeflate_free_compressor(fastest);
        fastest = null;
      }
      if (binary != null) {
        libdeflate_free_compressor(binary);
        binary = null;
      }
    }
  }

  /** The JDK's zlib, with the gzip header and trailer written here. */
  static final class Zlib extends Deflate {
    private final Deflater deflater;
    private final Deflater binary;
    private final Deflater fastest = new Deflater(Deflater.BEST_SPEED, true);
    private final CRC32 crc = new CRC32();

    Zlib(int level, int binaryLevel) {
      deflater = new Deflater(level, true);
      binary = new Deflater(binaryLevel, true);
    }

    @Override
    int bound(int length) {
      return HEADER.length + length + (length >> 10) + 64 + 8;
    }

    @Override
    int deflate(boolean text, ByteBuffer in, int off, int len, byte[] out, int outOff) {
      Deflater deflater = text ? this.deflater : binary;
      System.arraycopy(HEADER, 0, out, outOff, HEADER.length);
      int n = outOff + HEADER.length;
      deflater.reset();
      deflater.setInput(range(in, off, len));
      deflater.finish();
      while (!deflater.finished()) {
        int k = deflater.deflate(out, n, out.length - 8 - n, Deflater.NO_FLUSH);
        if (k == 0 && !deflater.finished() && n >= out.length - 8) {
          throw new IllegalStateException("zlib output exceeded its bound");
        }
        n += k;
      }
      crc.reset();
      crc.update(range(in, off, len));
      return trailer(out, n, (int) crc.getValue(), len) - outOff;
    }

    @Override
    boolean sampleCompresses() {
      byte[] sample = lastSample();
      fastest.reset();
      fastest.setInput(sample);
      fastest.finish();
      byte[] o = new byte[sample.length + 1024];
      int n = 0;
      while (!fastest.finished() && n < o.length) {
        n += fastest.deflate(o, n, o.length - n);
      }
      return n < sample.length * 0.97;
    }

    @Override
    public void close() {
      deflater.end();
      binary.end();
      fastest.end();
    }
  }

  /** Up to four {@link #SAMPLE}-byte pieces from the start, the quarters and the end. */
  static byte[] sample(byte[] in, int off, int len) {
    byte[] s = new byte[Math.min(len, 4 * SAMPLE)];
    sample(ByteBuffer.wrap(in), off, len, s);
    return s;
  }

  /** {@link #sample(byte[], int, int)} into {@code s}; returns its length. */
  private static int sample(ByteBuffer in, int off, int len, byte[] s) {
    if (len <= 4 * SAMPLE) {
      in.get(off, s, 0, len);
      return len;
    }
    for (int i = 0; i < 4; i++) {
      int from = off + (int) ((long) (len - SAMPLE) * i / 3);
      in.get(from, s, i * SAMPLE, SAMPLE);
    }
    return 4 * SAMPLE;
  }

  /** {@code in}'s bytes {@code [off, off+len)} as a buffer of their own, for CRC-32 and zlib. */
  static ByteBuffer range(ByteBuffer in, int off, int len) {
    return in.duplicate().clear().position(off).limit(off + len);
  }
}
