package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The stream a tar writer writes into: whatever arrives between {@link #begin(int)} and {@link #end()} becomes
 * one gzip member of {@code file}. Concatenated members are one valid gzip stream, so {@code tar xzf} sees an
 * ordinary .tar.gz.
 *
 * <p>Members are compressed on a pool of threads and written in the order they were begun. A member larger than
 * {@code chunkBytes} is cut into chunks the way pigz does it: each chunk is deflated on its own with the previous
 * 32 KiB as preset dictionary and ends on a sync flush, so the pieces join into a single deflate stream and the
 * member stays one member. The CRC and length are computed here, on the caller's thread, as bytes arrive.
 * Memory is bounded: at most {@code 4 × threads × chunkBytes} of input (and at most {@code 64 × threads}
 * members) are in flight; the caller waits for the oldest to be written before it hands over more.
 */
final class GzipMembers extends OutputStream {
  /**
   * How to compress: {@code threads} deflaters at once, members cut into chunks of {@code chunkBytes}. {@code
   * beforeChunk} runs on the worker thread before each chunk (with the chunk's sequence number); it exists so
   * tests can make a worker fail.
   */
  record Settings(int threads, int chunkBytes, IntConsumer beforeChunk) {
    static final int DEFAULT_CHUNK = 1 << 20;

    Settings {
      if (threads < 1 || chunkBytes < DICTIONARY) {
        throw new IllegalArgumentException("need threads >= 1 and chunkBytes >= " + DICTIONARY);
      }
      beforeChunk = beforeChunk == null ? n -> { } : beforeChunk;
    }

    static Settings defaults() {
      return new Settings(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK, null);
    }
  }

  /** Hears where each member landed in the file, in member order. */
  interface Placement {
    void written(int tag, long offset, long length);
  }

  /** Deflate's window: what a chunk needs of the data before it to compress as if it were not cut. */
  private static final int DICTIONARY = 32 * 1024;
  /** The header GzipCompressorOutputStream writes by default: no name, no time, no extra flags, OS unknown. */
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff};
  private static final int LEVEL = Deflater.DEFAULT_COMPRESSION;

  private final OutputStream file;
  private final Placement placement;
  private final Settings settings;
  private final ExecutorService pool;
  private final ConcurrentLinkedQueue<Deflater> idleDeflaters = new ConcurrentLinkedQueue<>();
  private final List<Deflater> allDeflaters = new ArrayList<>();
  // Full-size input and output buffers go round instead of being garbage: a big file would otherwise make two
  // chunk-sized arrays of garbage per chunk.
  private final ConcurrentLinkedQueue<byte[]> spareChunks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<byte[]> spareOutputs = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private final long maxInFlightBytes;
  private final int maxInFlightChunks;
  private long inFlightBytes;
  private final CRC32 crc = new CRC32();

  private boolean open;
  private int tag;
  private boolean firstChunk;
  private long memberBytes;
  private byte[] chunk = new byte[8 * 1024];
  private int chunkLength;
  private byte[] dictionary;
  private int sequence;
  private long tarBytes;
  private long written;
  private long memberOffset;

  /** A chunk handed to the pool (or a member to copy), and what to record once it is written. */
  private record Pending(Future<Compressed> compressed, int tag, boolean first, boolean last, int inputLength,
      Copy copy) { }

  /** A finished member of another archive, copied byte for byte when its turn comes. */
  private record Copy(FileChannel from, long offset, long length) { }

  private static final Future<Compressed> NOTHING = java.util.concurrent.CompletableFuture.completedFuture(null);

  /** A worker's output: the first {@code length} bytes of {@code bytes}. */
  private record Compressed(byte[] bytes, int length) { }

  GzipMembers(OutputStream file, Settings settings, Placement placement) {
    this.file = file;
    this.settings = settings;
    this.placement = placement;
    this.maxInFlightBytes = 4L * settings.threads() * settings.chunkBytes();
    // Many small members may be in flight at once, so small files keep every worker busy too.
    this.maxInFlightChunks = 64 * settings.threads();
    this.pool = Executors.newFixedThreadPool(settings.threads(), workers());
  }

  /** Starts a member; {@code tag} comes back through {@link Placement} when it is written. */
  void begin(int tag) throws IOException {
    if (open) {
      throw new IllegalStateException("a gzip member is already open");
    }
    open = true;
    this.tag = tag;
    firstChunk = true;
    memberBytes = 0;
    crc.reset();
    chunkLength = 0;
    dictionary = null;
  }

  /**
   * Adds a complete member of another archive, unchanged: {@code length} bytes at {@code offset} of {@code from}
   * holding {@code tarLength} bytes of tar. It is written in turn, after the members begun before it; the
   * caller keeps {@code from} open until {@link #drain()}.
   */
  void copy(int tag, FileChannel from, long offset, long length, long tarLength) throws IOException {
    if (open) {
      throw new IllegalStateException("a gzip member is open");
    }
    tarBytes += tarLength;
    inFlight.add(new Pending(NOTHING, tag, true, true, 0, new Copy(from, offset, length)));
    while (inFlightBytes > maxInFlightBytes || inFlight.size() > maxInFlightChunks
        || !inFlight.isEmpty() && inFlight.peek().compressed().isDone()) {
      writeOldest();
    }
  }

  /** Ends the member: its last chunk goes to the pool with the trailer. */
  void end() throws IOException {
    if (!open) {
      return;
    }
    open = false;
    byte[] trailer = new byte[8];
    putIntLe(trailer, 0, (int) crc.getValue());
    putIntLe(trailer, 4, (int) memberBytes);
    submit(true, trailer);
  }

  /** Waits until every member begun so far is in the file. */
  void drain() throws IOException {
    while (!inFlight.isEmpty()) {
      writeOldest();
    }
  }

  long tarBytes() {
    return tarBytes;
  }

  /** Bytes in the file so far; exact after {@link #drain()}. */
  long compressedBytes() {
    return written;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (!open) {
      throw new IllegalStateException("tar data written outside a gzip member");
    }
    crc.update(b, off, len);
    memberBytes += len;
    tarBytes += len;
    int done = 0;
    while (done < len) {
      if (chunkLength == settings.chunkBytes()) {
        // Only now, with more data coming, is the full chunk known not to be the member's last.
        submit(false, null);
      }
      if (chunkLength == chunk.length) {
        int grown = Math.min(settings.chunkBytes(), chunk.length * 2);
        chunk = grown == settings.chunkBytes() ? copyInto(fullChunk(), chunk, chunkLength)
            : Arrays.copyOf(chunk, grown);
      }
      int n = Math.min(len - done, chunk.length - chunkLength);
      System.arraycopy(b, off + done, chunk, chunkLength, n);
      chunkLength += n;
      done += n;
    }
  }

  @Override
  public void flush() {
    // Members are flushed when they end; flushing a deflater mid-member only costs compression.
  }

  /** Stops the workers without writing what is still in flight; the file is not closed. */
  @Override
  public void close() {
    pool.shutdownNow();
    boolean stopped;
    try {
      stopped = pool.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = false;
    }
    if (stopped) {
      // A deflater still in use must not be ended under a worker; the cleaner frees those.
      synchronized (allDeflaters) {
        allDeflaters.forEach(Deflater::end);
        allDeflaters.clear();
      }
    }
  }

  private void submit(boolean last, byte[] trailer) throws IOException {
    byte[] input = chunk;
    int length = chunkLength;
    byte[] dict = dictionary;
    byte[] header = firstChunk ? HEADER : null;
    int seq = sequence++;
    if (!last) {
      dictionary = Arrays.copyOfRange(input, length - DICTIONARY, length);
    }
    // The pool owns the submitted array from here on.
    chunk = last ? new byte[8 * 1024] : fullChunk();
    chunkLength = 0;
    Future<Compressed> f = pool.submit(() -> {
      settings.beforeChunk().accept(seq);
      Compressed out = deflate(header, dict, input, length, last, trailer);
      if (input.length == settings.chunkBytes()) {
        spareChunks.add(input);
      }
      return out;
    });
    inFlight.add(new Pending(f, tag, firstChunk, last, length, null));
    inFlightBytes += length;
    firstChunk = false;
    while (inFlightBytes > maxInFlightBytes || inFlight.size() > maxInFlightChunks
        || !inFlight.isEmpty() && inFlight.peek().compressed().isDone()) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    Pending p = inFlight.peek();
    if (p.copy() != null) {
      inFlight.poll();
      memberOffset = written;
      transfer(p.copy());
      placement.written(p.tag(), memberOffset, written - memberOffset);
      return;
    }
    Compressed c;
    try {
      c = p.compressed().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("compressing the archive failed: " + cause, cause);
    }
    inFlight.poll();
    inFlightBytes -= p.inputLength();
    if (p.first()) {
      memberOffset = written;
    }
    file.write(c.bytes(), 0, c.length());
    written += c.length();
    if (c.bytes().length == outputCapacity(settings.chunkBytes())) {
      spareOutputs.add(c.bytes());
    }
    if (p.last()) {
      placement.written(p.tag(), memberOffset, written - memberOffset);
    }
  }

  private void transfer(Copy c) throws IOException {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256 * 1024);
    long at = c.offset();
    long end = c.offset() + c.length();
    while (at < end) {
      buf.clear().limit((int) Math.min(buf.capacity(), end - at));
      int n = c.from().read(buf, at);
      if (n < 0) {
        throw new IOException("the previous archive ended at " + at + " inside a member it was to give ("
            + c.offset() + "+" + c.length() + ")");
      }
      file.write(buf.array(), 0, n);
      at += n;
      written += n;
    }
  }

  private byte[] fullChunk() {
    byte[] spare = spareChunks.poll();
    return spare != null ? spare : new byte[settings.chunkBytes()];
  }

  private static int outputCapacity(int inputLength) {
    return HEADER.length + inputLength + (inputLength >> 10) + 64 + 8;
  }

  private Compressed deflate(byte[] header, byte[] dict, byte[] input, int length, boolean last, byte[] trailer) {
    Deflater d = idleDeflaters.poll();
    if (d == null) {
      d = new Deflater(LEVEL, true);
      synchronized (allDeflaters) {
        allDeflaters.add(d);
      }
    }
    try {
      d.reset();
      if (dict != null) {
        d.setDictionary(dict);
      }
      d.setInput(input, 0, length);
      int headerLength = header == null ? 0 : header.length;
      byte[] out = null;
      if (length == settings.chunkBytes()) {
        out = spareOutputs.poll();
      }
      if (out == null) {
        out = new byte[outputCapacity(length)];
      }
      if (header != null) {
        System.arraycopy(header, 0, out, 0, headerLength);
      }
      int n = headerLength;
      if (last) {
        d.finish();
        while (!d.finished()) {
          if (n == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
          n += d.deflate(out, n, out.length - n, Deflater.NO_FLUSH);
        }
      } else {
        // A sync flush ends the chunk on a byte boundary without a final block: the next chunk continues it.
        while (true) {
          int room = out.length - n;
          int k = d.deflate(out, n, room, Deflater.SYNC_FLUSH);
          n += k;
          if (k < room && d.needsInput()) {
            break;
          }
          if (n == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
        }
      }
      if (trailer != null) {
        if (n + trailer.length > out.length) {
          out = Arrays.copyOf(out, n + trailer.length);
        }
        System.arraycopy(trailer, 0, out, n, trailer.length);
        n += trailer.length;
      }
      return new Compressed(out, n);
    } finally {
      idleDeflaters.add(d);
    }
  }

  private static byte[] copyInto(byte[] target, byte[] source, int length) {
    System.arraycopy(source, 0, target, 0, length);
    return target;
  }

  private static void putIntLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  private static ThreadFactory workers() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "lifeboat-gzip-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
