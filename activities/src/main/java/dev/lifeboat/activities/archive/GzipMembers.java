package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The stream a tar writer writes into: whatever arrives between {@link #begin(int)} and {@link
 * #end()} becomes the entry's gzip members in {@code file}, one after the other. Concatenated
 * members are one valid gzip stream, so {@code tar xzf} sees an ordinary .tar.gz; the manifest
 * locates each entry's run of members.
 *
 * <p>An entry is cut into chunks of {@code chunkBytes}, and each chunk into 64 KiB segments: a run
 * of segments whose sample compresses becomes a deflated member ({@link Deflate}: libdeflate or
 * zlib), a run of noise a stored one (no deflate work on write, none on read). Every member is at
 * most one chunk of tar, so a reader knows its size from its trailer. Chunks are compressed on a
 * pool of threads and written in the order they were begun. Input is gathered in native {@link
 * Chunk}s that files are read into directly ({@link #read}). Memory is bounded: at most {@code 4 ×
 * threads × chunkBytes} of input (each chunk counted whole) and at most {@code 64 × threads} chunks
 * are in flight, each with an output array about its size; the caller waits for the oldest to be
 * written before it hands over more.
 *
 * <p>Small entries begun with {@link #beginPacked} share their members: consecutive ones are
 * gathered into a pack of about {@link #PACK_BYTES} of tar, compressed as one chunk, so the matches
 * deflate finds across small files (notebooks repeat each other) are not lost at every file's
 * start. Every entry of a pack is placed at the pack's members.
 *
 * <p>For {@link Compression#ZSTD} each chunk becomes one zstd frame instead ({@link ZstdFrames}),
 * with the same layout, ordering and memory bound.
 */
final class GzipMembers extends OutputStream {
  /**
   * How to compress: {@code threads} workers, members of at most {@code chunkBytes}, deflate {@code
   * level} with {@code engine}. {@code beforeChunk} runs on the worker thread before each chunk
   * (with the chunk's sequence number); it exists so tests can make a worker fail.
   */
  record Settings(
      int threads, int chunkBytes, IntConsumer beforeChunk, int level, Deflate.Engine engine) {
    static final int DEFAULT_CHUNK = FULL;

    /**
     * Text at libdeflate's level 1: a third of level 5's CPU for text 4-5 % larger. With small
     * files packed the bench tree stays within 2 % of pigz's size; LIFEBOAT_GZIP_LEVEL=5 (or 6)
     * trades the other way.
     */
    static final int DEFAULT_LEVEL = 1;

    Settings {
      if (threads < 1 || chunkBytes < SEGMENT) {
        throw new IllegalArgumentException("need threads >= 1 and chunkBytes >= " + SEGMENT);
      }
      if (level < 1 || level > 9) {
        throw new IllegalArgumentException("gzip level must be 1..9, not " + level);
      }
      beforeChunk = beforeChunk == null ? NO_HOOK : beforeChunk;
      engine = engine == null ? Deflate.Engine.AUTO : engine;
    }

    // a class, not a lambda: this was the one lambda a fresh JVM's backup still had spun (the
    // class-data archive did not hold it), with the bytecode library it takes interpreted
    private static final IntConsumer NO_HOOK =
        new IntConsumer() {
          @Override
          public void accept(int chunk) {
            // no test hook
          }
        };

    Settings(int threads, int chunkBytes, IntConsumer beforeChunk) {
      this(threads, chunkBytes, beforeChunk, DEFAULT_LEVEL, Deflate.Engine.AUTO);
    }

    /**
     * All cores, 1 MiB chunks, text at level 1 unless {@code LIFEBOAT_GZIP_LEVEL} (1..9) says
     * otherwise.
     */
    static Settings defaults() {
      String level = System.getenv("LIFEBOAT_GZIP_LEVEL");
      int l;
      try {
        l = level == null || level.isBlank() ? DEFAULT_LEVEL : Integer.parseInt(level.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "LIFEBOAT_GZIP_LEVEL must be a number 1..9, not '" + level + "'");
      }
      return new Settings(
          Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK, null, l, Deflate.Engine.AUTO);
    }
  }

  /** Hears where each member landed in the file, in member order. */
  interface Placement {
    void written(int tag, long offset, long length);
  }

  /** What one stored-or-deflated decision covers. */
  static final int SEGMENT = 64 * 1024;

  /**
   * A pack is closed once it holds this much tar: deflate looks back 32 KiB, so larger packs gain
   * little (128 KiB: 2 % smaller on notebooks) while a single-file read or a changed file costs the
   * whole pack.
   */
  static final int PACK_BYTES = 64 * 1024;

  /** Files up to this size go into packs; larger ones have members of their own. */
  static final long PACK_FILE_MAX = 32 * 1024;

  // A pack's input chunk: a pack holds at most PACK_BYTES plus one file and its headers. Entries
  // of their own start in a small chunk and grow through this size to a full one.
  static final int PACK_ARRAY = 128 * 1024;

  /** The chunk size of the default settings: full chunks of this size are pooled. */
  static final int FULL = 1 << 20;

  // Outputs of chunks up to PACK_ARRAY: more than any compressor's bound for that much input.
  private static final int SMALL_OUTPUT = PACK_ARRAY + PACK_ARRAY / 8;

  private final OutputStream file;
  private final RangeCopier copier;
  private final Placement placement;
  private final Settings settings;
  private final ExecutorService pool;
  private final ConcurrentLinkedQueue<Deflate> idleDeflaters = new ConcurrentLinkedQueue<>();
  private final List<Deflate> allDeflaters = new ArrayList<>();
  // null for gzip
  private final ZstdFrames zstd;
  // Output arrays go round instead of being garbage: a big file would otherwise make a
  // chunk-sized array of garbage per chunk, and thousands of packs would fill the old generation
  // with dead arrays. (Input chunks are native memory from Chunk's pool.)
  private final ConcurrentLinkedQueue<byte[]> spareOutputs = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<byte[]> spareSmallOutputs = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private final long maxInFlightBytes;
  private final int maxInFlightChunks;
  private long inFlightBytes;

  private boolean open;
  private int tag;
  // the tags of the pack being gathered (empty when the open member is not a pack); a pack stays
  // open between its entries
  private final List<Integer> packTags = new ArrayList<>();
  private long packStart;
  private boolean firstChunk;
  // the chunk being filled and a view of its bytes; null between entries
  private Chunk chunk;
  private ByteBuffer view;
  private int chunkLength;
  // where the last read() put its bytes
  private Chunk readChunk;
  private int readAt;
  private int sequence;
  private long tarBytes;
  private long written;
  private long memberOffset;

  /** A chunk handed to the pool (or a member to copy), and what to record once it is written. */
  private record Pending(
      Future<Compressed> compressed,
      int[] tags,
      boolean first,
      boolean last,
      int heldBytes,
      Copy copy) {}

  /**
   * Finished members of another archive that lie back to back there, copied byte for byte in one go
   * when their turn comes: {@code tags} and {@code lengths} say whose they are (the entries of a
   * pack share one member run).
   */
  private record Copy(
      FileChannel from, long offset, long length, int[][] tags, long[] lengths, long[] crcs) {}

  /** Copies join a run while it stays contiguous and under this size. */
  private static final long MAX_RUN = 64L << 20;

  // the run of copies being gathered: an unchanged tree gives long runs of adjacent members
  private FileChannel runFrom;
  private long runOffset;
  private long runLength;
  private final List<int[]> runTags = new ArrayList<>();
  private final List<Long> runLengths = new ArrayList<>();
  private final List<Long> runCrcs = new ArrayList<>();

  /**
   * A file that copies byte ranges of another file itself (copied members): straight into its write
   * buffers, without passing them through the heap.
   */
  interface RangeCopier {
    /** The bytes written next begin a member run (an entry's, a pack's, or the end's). */
    void beginRun();

    /**
     * Appends {@code length} bytes of {@code from} at {@code offset}, member runs of {@code
     * runLengths}; fails if {@code from} ends before, or (later, as writes do) if a run's bytes do
     * not have the CRC-32C {@code runCrcs} gives for it.
     */
    void copy(FileChannel from, long offset, long length, long[] runLengths, long[] runCrcs)
        throws IOException;
  }

  private static final Future<Compressed> NOTHING =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  /** A worker's output: the first {@code length} bytes of {@code bytes}. */
  private record Compressed(byte[] bytes, int length) {}

  /** {@code file} takes the compressed members and copies the reused ones itself. */
  <F extends OutputStream & RangeCopier> GzipMembers(
      F file, Settings settings, Placement placement, Compression compression) {
    this.zstd = compression == Compression.ZSTD ? new ZstdFrames(ZstdFrames.DEFAULT_LEVEL) : null;
    this.file = file;
    this.copier = file;
    this.settings = settings;
    this.placement = placement;
    this.maxInFlightBytes = 4L * settings.threads() * settings.chunkBytes();
    // Many small members may be in flight at once, so small files keep every worker busy too.
    this.maxInFlightChunks = 64 * settings.threads();
    this.pool = DaemonThreads.pool("lifeboat-gzip", settings.threads());
  }

  /** Starts a member; {@code tag} comes back through {@link Placement} when it is written. */
  void begin(int tag) throws IOException {
    if (open) {
      throw new IllegalStateException("a gzip member is already open");
    }
    closePack();
    flushRun();
    open = true;
    this.tag = tag;
    firstChunk = true;
    take(Chunk.SMALL);
  }

  /**
   * Starts a small entry inside the pack being gathered (or a new pack); {@code tag} comes back
   * through {@link Placement}, with the pack's members, once the pack is written.
   */
  void beginPacked(int tag) throws IOException {
    if (open) {
      throw new IllegalStateException("a gzip member is already open");
    }
    if (packTags.isEmpty()) {
      flushRun();
      firstChunk = true;
      packStart = tarBytes;
      take(PACK_ARRAY);
    }
    open = true;
    this.tag = tag;
    packTags.add(tag);
  }

  /** Sends the pack being gathered to the pool. */
  private void closePack() throws IOException {
    if (!packTags.isEmpty()) {
      submit(true);
      packTags.clear();
    }
  }

  /**
   * Adds a complete member run of another archive, unchanged, for the entries {@code tags} (one, or
   * a pack's): {@code length} bytes at {@code offset} of {@code from} holding {@code tarLength}
   * bytes of tar, whose CRC-32C must be {@code crc32c}. It is written in turn, after the members
   * begun before it; the caller keeps {@code from} open until {@link #drain()}.
   */
  void copy(int[] tags, FileChannel from, long offset, long length, long tarLength, long crc32c)
      throws IOException {
    if (open) {
      throw new IllegalStateException("a gzip member is open");
    }
    closePack();
    tarBytes += tarLength;
    if (runFrom != from || runOffset + runLength != offset || runLength + length > MAX_RUN) {
      flushRun();
      runFrom = from;
      runOffset = offset;
    }
    runLength += length;
    runTags.add(tags);
    runLengths.add(length);
    runCrcs.add(crc32c);
  }

  /** Queues the gathered run of copies behind what is in flight. */
  private void flushRun() throws IOException {
    if (runTags.isEmpty()) {
      return;
    }
    Copy c =
        new Copy(
            runFrom,
            runOffset,
            runLength,
            runTags.toArray(new int[0][]),
            runLengths.stream().mapToLong(Long::longValue).toArray(),
            runCrcs.stream().mapToLong(Long::longValue).toArray());
    runFrom = null;
    runLength = 0;
    runTags.clear();
    runLengths.clear();
    runCrcs.clear();
    inFlight.add(new Pending(NOTHING, null, true, true, 0, c));
    writeReady();
  }

  /** Ends the entry: its last chunk goes to the pool (a pack's once the pack is full). */
  void end() throws IOException {
    if (!open) {
      return;
    }
    open = false;
    if (packTags.isEmpty()) {
      submit(true);
    } else if (tarBytes - packStart >= PACK_BYTES) {
      closePack();
    }
  }

  /** Waits until every member begun so far is in the file, and the file has them. */
  void drain() throws IOException {
    closePack();
    flushRun();
    while (!inFlight.isEmpty()) {
      writeOldest();
    }
    // the file may write on a thread of its own: copies from another archive included
    file.flush();
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
    tarBytes += len;
    int done = 0;
    while (done < len) {
      int n = Math.min(len - done, room());
      view.put(chunkLength, b, off + done, n);
      chunkLength += n;
      done += n;
    }
  }

  /**
   * Reads up to {@code max} bytes of {@code from} straight into the open member: the kernel copies
   * them into the chunk, where {@link #lastRead()} shows them. Returns how many, or -1 at its end.
   */
  int read(java.nio.channels.ReadableByteChannel from, int max) throws IOException {
    if (!open) {
      throw new IllegalStateException("tar data written outside a gzip member");
    }
    int n = Math.min(max, room());
    int got = from.read(view.duplicate().clear().position(chunkLength).limit(chunkLength + n));
    if (got > 0) {
      readChunk = chunk;
      readAt = chunkLength;
      chunkLength += got;
      tarBytes += got;
    }
    return got;
  }

  /** The bytes the last {@link #read} gave, as a buffer of their own (valid until more is read). */
  ByteBuffer lastRead(int length) {
    return readChunk.bytes().position(readAt).limit(readAt + length);
  }

  /**
   * The chunk the last {@link #read} went into, held once more: whoever reads its bytes later (the
   * file's digest) must release it.
   */
  Chunk holdLastRead() {
    return readChunk.hold();
  }

  /**
   * Room in the open chunk, at least one byte: a full chunk goes to the pool first (only now, with
   * more data coming, is it known not to be the member's last), a small one is moved into a larger.
   */
  private int room() throws IOException {
    if (chunkLength == settings.chunkBytes()) {
      submit(false);
    }
    if (chunkLength == chunk.room()) {
      Chunk larger = Chunk.take(chunk.room() < PACK_ARRAY ? PACK_ARRAY : fullSize());
      larger.bytes().put(0, view, 0, chunkLength);
      chunk.release();
      use(larger);
    }
    // a pack's chunk may be larger than a member; a member still holds at most one chunk
    return Math.min(chunk.room(), settings.chunkBytes()) - chunkLength;
  }

  /** A full chunk's room: a member's most, or a pack's where members are smaller. */
  private int fullSize() {
    return Math.max(settings.chunkBytes(), PACK_ARRAY);
  }

  /** Starts filling a chunk of {@code size} from empty. */
  private void take(int size) {
    if (chunk != null) {
      chunk.release();
    }
    use(Chunk.take(size));
    chunkLength = 0;
  }

  private void use(Chunk c) {
    chunk = c;
    view = c.bytes();
  }

  @Override
  public void flush() {
    // Members are flushed when they end; flushing a deflater mid-member only costs compression.
  }

  /** Stops the workers without writing what is still in flight; the file is not closed. */
  @Override
  public void close() {
    if (chunk != null) {
      chunk.release();
      chunk = null;
    }
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
        allDeflaters.forEach(Deflate::close);
        allDeflaters.clear();
      }
      if (zstd != null) {
        zstd.close();
      }
    }
  }

  private void submit(boolean last) throws IOException {
    Chunk input = chunk;
    ByteBuffer bytes = view;
    int length = chunkLength;
    int seq = sequence++;
    // The pool's task holds the submitted chunk from here on.
    chunk = null;
    view = null;
    if (!last) {
      take(fullSize());
    }
    Future<Compressed> f;
    try {
      f =
          pool.submit(
              () -> {
                try {
                  settings.beforeChunk().accept(seq);
                  return compress(bytes, length);
                } finally {
                  input.release();
                }
              });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      input.release();
      throw new IOException("the archive's compressing threads are stopped", e);
    }
    int[] tags =
        !last
            ? null
            : packTags.isEmpty() ? new int[] {tag} : packTags.stream().mapToInt(t -> t).toArray();
    // a chunk counts by the memory it takes (a pack's is about twice what it holds)
    int held = input.room();
    inFlight.add(new Pending(f, tags, firstChunk, last, held, null));
    inFlightBytes += held;
    firstChunk = false;
    writeReady();
  }

  /**
   * Writes what is done at the head of the queue, and waits for more while too much is in flight:
   * the bound on memory.
   */
  private void writeReady() throws IOException {
    while (inFlightBytes > maxInFlightBytes
        || inFlight.size() > maxInFlightChunks
        || !inFlight.isEmpty() && inFlight.peek().compressed().isDone()) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    Pending p = inFlight.peek();
    if (p.copy() != null) {
      inFlight.poll();
      Copy c = p.copy();
      long at = written;
      transfer(c);
      for (int i = 0; i < c.tags().length; i++) {
        for (int t : c.tags()[i]) {
          placement.written(t, at, c.lengths()[i]);
        }
        at += c.lengths()[i];
      }
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
    inFlightBytes -= p.heldBytes();
    if (p.first()) {
      memberOffset = written;
      copier.beginRun();
    }
    file.write(c.bytes(), 0, c.length());
    written += c.length();
    if (c.bytes().length >= settings.chunkBytes()) {
      spareOutputs.add(c.bytes());
    } else if (c.bytes().length == SMALL_OUTPUT) {
      spareSmallOutputs.add(c.bytes());
    }
    if (p.last()) {
      for (int t : p.tags()) {
        placement.written(t, memberOffset, written - memberOffset);
      }
    }
  }

  private void transfer(Copy c) throws IOException {
    copier.copy(c.from(), c.offset(), c.length(), c.lengths(), c.crcs());
    written += c.length();
  }

  private static int outputCapacity(int inputLength, Deflate d) {
    int segments = inputLength / SEGMENT + 1;
    return Math.max(d.bound(inputLength), Deflate.storedBound(inputLength)) + segments * 64;
  }

  /**
   * One chunk as members: consecutive segments of one kind form one member (deflated, or stored for
   * noise). An empty chunk (an entry of nothing) still gets a member, so every entry has one. Bytes
   * for igzip of another nature (float weights, then weights with zeros) start a member of their
   * own: igzip codes a call's bytes with one Huffman table, where libdeflate starts a new block as
   * they change.
   */
  private Compressed compress(ByteBuffer input, int length) {
    if (isZeros(input, length)) {
      return zeroChunk(length);
    }
    return encode(input, length);
  }

  /** {@link #compress} without the shortcut for zeros. */
  private Compressed encode(ByteBuffer input, int length) {
    if (zstd != null) {
      return frame(input, length);
    }
    Deflate d = idleDeflaters.poll();
    if (d == null) {
      d = Deflate.create(settings.engine(), settings.level());
      synchronized (allDeflaters) {
        allDeflaters.add(d);
      }
    }
    try {
      byte[] out = output(length, outputCapacity(length, d));
      int n = 0;
      int runStart = 0;
      d.beginChunk();
      Deflate.Kind runKind = d.kind(input, 0, Math.min(SEGMENT, length));
      double runBits = d.lastEntropy();
      for (int at = SEGMENT; at < length; at += SEGMENT) {
        Deflate.Kind kind = d.kind(input, at, Math.min(SEGMENT, length - at));
        double bits = d.lastEntropy();
        if (kind != runKind
            || kind == Deflate.Kind.FLAT && Math.abs(bits - runBits) > Deflate.SAME_NATURE) {
          n += d.gzip(runKind, input, runStart, at - runStart, out, n);
          runStart = at;
          runKind = kind;
          runBits = bits;
        }
      }
      n += d.gzip(runKind, input, runStart, length - runStart, out, n);
      return new Compressed(out, n);
    } finally {
      idleDeflaters.add(d);
    }
  }

  // a full chunk of zeros (holes of a sparse file, a preallocated array) as compressed once
  private volatile Compressed zeros;
  private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocate(Settings.DEFAULT_CHUNK);

  /**
   * True when the chunk is a full one and all zeros: three bytes rule out nearly every other chunk
   * before the whole is compared.
   */
  private boolean isZeros(ByteBuffer input, int length) {
    return length == settings.chunkBytes()
        && length <= ZERO_CHUNK.capacity()
        && input.get(0) == 0
        && input.get(length / 2) == 0
        && input.get(length - 1) == 0
        && input.slice(0, length).mismatch(ZERO_CHUNK.slice(0, length)) < 0;
  }

  /**
   * A full chunk of zeros: the bytes {@link #encode} gives for it, computed once per archive. A 20
   * GiB sparse file is 20,000 of them; compressing each anew cost ~3 CPU-seconds a GiB.
   */
  private Compressed zeroChunk(int length) {
    Compressed z = zeros;
    if (z == null) {
      z = encode(ByteBuffer.allocate(length), length);
      z = new Compressed(Arrays.copyOf(z.bytes(), z.length()), z.length());
      zeros = z;
    }
    // a copy of its own (a few hundred bytes), as every output is the writer's to recycle
    return new Compressed(Arrays.copyOf(z.bytes(), z.length()), z.length());
  }

  /** One chunk as one zstd frame: zstd stores what does not compress by itself. */
  private Compressed frame(ByteBuffer input, int length) {
    byte[] out = output(length, ZstdFrames.bound(length));
    return new Compressed(out, zstd.frame(input, 0, length, out, 0));
  }

  /** An output array for a chunk of {@code length}: a spare one when there is one of its size. */
  private byte[] output(int length, int capacity) {
    if (length == settings.chunkBytes()) {
      byte[] out = spareOutputs.poll();
      return out != null && out.length >= capacity ? out : new byte[capacity];
    }
    if (length <= PACK_ARRAY && capacity <= SMALL_OUTPUT) {
      byte[] out = spareSmallOutputs.poll();
      return out != null ? out : new byte[SMALL_OUTPUT];
    }
    return new byte[capacity];
  }
}
