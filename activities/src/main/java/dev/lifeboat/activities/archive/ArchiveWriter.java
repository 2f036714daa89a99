package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a Lifeboat archive into a file: a POSIX (PAX) tar stream in which every entry is its own
 * run of gzip members, or small files share one (a pack, see {@link GzipMembers}), recording for
 * the manifest each entry's digest and offsets. Files are read, digested and cut into tar records
 * on the caller's thread; {@link GzipMembers} compresses on all cores and writes in order.
 */
final class ArchiveWriter implements Closeable {
  /** What to write for one entry; {@code size} counts for files only. */
  record Item(
      String path,
      EntryType type,
      int mode,
      Instant mtime,
      long size,
      String linkTarget,
      long uid,
      long gid,
      String user,
      String group) {}

  /** An entry whose member may not be in the file yet: its offsets arrive when it is written. */
  private record Added(
      Item item,
      java.util.concurrent.CompletableFuture<String> sha256,
      long tarOffset,
      SourceScan.Stamp stamp) {}

  private static final int END_OF_ARCHIVE = -1;
  private static final int BLOCK = TarConstants.DEFAULT_RCDSIZE;
  private static final byte[] ZEROS = new byte[2 * BLOCK];

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ArchiveWriter.class);
  private final FileChannel channel;
  // the archive opened for O_DIRECT writes, null where the file system refuses them
  private volatile FileChannel direct;
  // set by the writer thread once a direct write went through: a later failure is a real one
  private boolean directWritten;
  // direct writes' unit: their offsets, lengths and buffer addresses are multiples of it
  private final int alignment;
  private final WriteBack writeBack;
  private final MessageDigest archiveDigest = Digests.sha256();
  private final Out out;
  private final GzipMembers members;
  private final Progress progress;
  private final List<Added> added = new ArrayList<>();
  private final List<Entry> entries = new ArrayList<>();
  private final byte[] buffer = new byte[64 * 1024];
  private final MessageDigest inlineDigest = Digests.sha256();
  private long files;
  private long bytes;
  private long reusedFiles;
  private long reusedBytes;
  private long endMemberOffset = -1;
  private java.util.concurrent.CompletableFuture<String> lastSha;
  private final FileDigests fileDigests = new FileDigests();
  private boolean finished;
  private boolean packSmallFiles;
  // the manifest written while the archive is, null when the caller writes it after
  private ManifestSpool spool;
  // entries before this index are in the spool
  private int spooled;
  private static final int SPOOL_BATCH = 512;

  ArchiveWriter(Path file, Progress progress) throws IOException {
    this(file, progress, GzipMembers.Settings.defaults());
  }

  ArchiveWriter(Path file, Progress progress, GzipMembers.Settings settings) throws IOException {
    this(file, progress, settings, Compression.GZIP);
  }

  ArchiveWriter(
      Path file, Progress progress, GzipMembers.Settings settings, Compression compression)
      throws IOException {
    this(file, progress, settings, compression, DIRECT);
  }

  /** Opens the archive for O_DIRECT writes; tests give others. */
  interface DirectOpener {
    FileChannel open(Path file) throws IOException;
  }

  static final DirectOpener DIRECT =
      f ->
          FileChannel.open(f, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);

  /** As the others; the archive's direct writes through {@code directOpener}, null for none. */
  ArchiveWriter(
      Path file,
      Progress progress,
      GzipMembers.Settings settings,
      Compression compression,
      DirectOpener directOpener)
      throws IOException {
    this.progress = progress;
    this.channel =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    FileChannel d = null;
    int unit = 1;
    try {
      unit = Math.toIntExact(java.nio.file.Files.getFileStore(file).getBlockSize());
      if (directOpener != null && unit > 0 && unit <= 64 << 10 && Integer.bitCount(unit) == 1) {
        d = directOpener.open(file);
      }
    } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
      LOG.debug("writing {} through the page cache: {}", file, e.toString());
    }
    this.direct = d;
    this.alignment = d == null ? 1 : unit;
    this.writeBack = new WriteBack(file, channel);
    this.out = new Out();
    this.members = new GzipMembers(out, settings, this::placed, compression);
  }

  /** The tar stream every archive is written as; one place, so {@link #header} agrees with it. */
  private static TarArchiveOutputStream tarStream(OutputStream out) {
    TarArchiveOutputStream t =
        new TarArchiveOutputStream(
            out, TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name());
    t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    t.setAddPaxHeadersForNonAsciiNames(true);
    return t;
  }

  /**
   * The bytes {@link #add} writes for {@code item} before its data: a PAX header if it needs one,
   * then its tar header. A member copied from another archive starts with these bytes exactly when
   * it describes the file as this archive would.
   */
  static byte[] header(Item item) throws IOException {
    byte[] ordinary = TarHeaders.of(item);
    if (ordinary != null) {
      return ordinary;
    }
    return streamHeader(item);
  }

  /**
   * {@link #header} as Commons Compress's stream writes it: the reference for {@link TarHeaders}.
   */
  static byte[] streamHeader(Item item) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(BLOCK * 3);
    TarArchiveOutputStream t = tarStream(out);
    t.putArchiveEntry(tarEntry(item));
    t.flush();
    return out.toByteArray();
  }

  /**
   * Appends one entry as its own gzip members; exactly {@code item.size()} bytes of {@code data}
   * are stored for files (more are left unread, a shortfall is padded with zeros, as GNU tar does),
   * so the entry always agrees with the manifest. Returns how many bytes {@code data} gave before
   * it ended (at most the size). The member is compressed in the background: its offsets are in
   * {@link #entries()} once it is written.
   */
  long add(Item item, InputStream data) throws IOException {
    return add(item, data, null);
  }

  /**
   * As {@link #add(Item, InputStream)}; a file's {@code stamp} (ctime, inode) goes into the
   * manifest for reuse.
   */
  long add(Item item, InputStream data, SourceScan.Stamp stamp) throws IOException {
    return add(item, data == null ? null : java.nio.channels.Channels.newChannel(data), stamp);
  }

  /**
   * As {@link #add(Item, InputStream, SourceScan.Stamp)}, reading a file's bytes from a channel: a
   * file's channel puts them straight into the archive's native chunks (one copy, by the kernel).
   */
  long add(Item item, java.nio.channels.ReadableByteChannel data, SourceScan.Stamp stamp)
      throws IOException {
    long tarOffset = beginEntry(item);
    java.util.concurrent.CompletableFuture<String> sha = null;
    long read = 0;
    if (item.type() == EntryType.FILE) {
      read = copy(item, data);
      sha = lastSha;
    }
    endEntry(item, sha, tarOffset, stamp);
    return read;
  }

  /** Opens the entry's member and writes its header; returns where its tar bytes begin. */
  private long beginEntry(Item item) throws IOException {
    progress.checkCancelled();
    long tarOffset = members.tarBytes();
    if (packSmallFiles && packs(item)) {
      members.beginPacked(added.size());
    } else {
      members.begin(added.size());
    }
    // the tar stream is written here, headers as TarArchiveOutputStream makes them: file data then
    // goes to the members in one copy, not record by record through the tar writer's block buffer
    members.write(header(item));
    return tarOffset;
  }

  /** Pads a file's data to a whole block, records the entry and closes its member. */
  private void endEntry(
      Item item,
      java.util.concurrent.CompletableFuture<String> sha,
      long tarOffset,
      SourceScan.Stamp stamp)
      throws IOException {
    if (item.type() == EntryType.FILE) {
      files++;
      bytes += item.size();
      int tail = (int) (item.size() % BLOCK);
      if (tail != 0) {
        members.write(ZEROS, 0, BLOCK - tail);
      }
    }
    added.add(new Added(item, sha, tarOffset, stamp));
    members.end();
    if (item.type() == EntryType.FILE) {
      progress.file();
    }
  }

  /**
   * Adds a regular file by copying its member from the previous archive {@code from} byte for byte:
   * the tar header in it holds no offsets, so the member reads the same in this archive. {@code
   * old} is the file's manifest entry there (its digest carries over); {@code tarLength} the
   * member's uncompressed length.
   */
  void reuse(Item item, Entry old, FileChannel from, long tarLength, SourceScan.Stamp stamp)
      throws IOException {
    reusePack(
        List.of(item),
        List.of(old),
        from,
        new long[] {tarLength},
        java.util.Collections.singletonList(stamp));
  }

  /**
   * From now on small files share packs. Only a directory backup asks: it reuses whole packs, while
   * a tar stream's reuse by content copies one file's members at a time.
   */
  void packSmallFiles() {
    packSmallFiles = true;
  }

  /** Files small enough to share a pack with their neighbours. */
  private static boolean packs(Item item) {
    return item.type() == EntryType.FILE && item.size() <= GzipMembers.PACK_FILE_MAX;
  }

  /**
   * Adds the files of a pack of the previous archive (or one file with members of its own) by
   * copying the pack's members: {@code items[k]} is described by {@code old[k]}, all at {@code
   * old[0]}'s members, whose tar the entries divide as {@code tarLengths} says; a {@code stamps[k]}
   * may be null (a file from a tar stream).
   */
  void reusePack(
      List<Item> items,
      List<Entry> old,
      FileChannel from,
      long[] tarLengths,
      List<SourceScan.Stamp> stamps)
      throws IOException {
    progress.checkCancelled();
    int[] tags = new int[items.size()];
    long at = members.tarBytes();
    long total = 0;
    for (int k = 0; k < tags.length; k++) {
      Item item = items.get(k);
      tags[k] = added.size();
      added.add(
          new Added(
              item,
              java.util.concurrent.CompletableFuture.completedFuture(old.get(k).sha256()),
              at + total,
              stamps.get(k)));
      total += tarLengths[k];
      files++;
      bytes += item.size();
      reusedFiles++;
      reusedBytes += item.size();
      progress.bytes(item.size());
      progress.file();
    }
    Long crc = old.get(0).memberCrc32c();
    if (crc == null) {
      throw new IllegalArgumentException("a member run without a CRC-32C is not copied");
    }
    members.copy(tags, from, old.get(0).memberOffset(), old.get(0).memberLength(), total, crc);
  }

  /**
   * Adds an unchanged file of a pack from {@code data}, its bytes as the previous archive holds
   * them (its digest checked): packed anew, counted as reused, not read from the source.
   */
  void addKept(Item item, PreviousArchive.Kept kept) throws IOException {
    if (item.type() != EntryType.FILE || kept.length() != item.size()) {
      throw new IllegalArgumentException(
          "kept bytes of " + item.path() + " are not its " + item.size() + " bytes");
    }
    long tarOffset = beginEntry(item);
    // the bytes as they are, no reader in between: a pack's unchanged neighbours of a changed file
    // are thousands of small files in a 1 % change; their digest was checked against the manifest
    members.write(kept.data(), kept.offset(), kept.length());
    progress.bytes(kept.length());
    endEntry(
        item,
        java.util.concurrent.CompletableFuture.completedFuture(kept.sha256()),
        tarOffset,
        kept.stamp());
    reusedFiles++;
    reusedBytes += item.size();
  }

  long reusedFiles() {
    return reusedFiles;
  }

  private Manifest.Root root;

  /** The backed-up folder's own mode, time and owner, for the manifest; null when unknown. */
  void root(Manifest.Root root) {
    this.root = root;
  }

  Manifest.Root root() {
    return root;
  }

  long reusedBytes() {
    return reusedBytes;
  }

  /**
   * Writes the end-of-archive blocks as a last member, waits for every member and forces all to
   * disk.
   */
  void finish() throws IOException {
    members.begin(END_OF_ARCHIVE);
    // two zero records end a tar archive; the record size is the block size, so no padding follows
    members.write(ZEROS, 0, 2 * BLOCK);
    members.end();
    members.drain();
    out.finish();
    finished = true;
  }

  /**
   * Every entry added so far, waiting for members still being compressed; each with the CRC-32C of
   * its member run once the run is complete (the last one's is known after {@link #finish()}).
   */
  List<Entry> entries() throws IOException {
    if (spool != null) {
      throw new IllegalStateException("a spooling writer's entries are in its manifest file");
    }
    members.drain();
    for (int i = 0; i < entries.size(); i++) {
      withRunCrc(i);
    }
    return List.copyOf(entries);
  }

  /** How many entries were added so far. */
  long entryCount() {
    return entries.size();
  }

  /** Hands the spool the last entries, once {@link #finish()} made their member runs complete. */
  void spoolRest() throws IOException {
    requireFinished();
    members.drain();
    spoolBefore(Long.MAX_VALUE);
  }

  /**
   * Hands every entry to {@code spool} once final: placed, and its member run complete (its CRC-32C
   * known), and lets it go. The last ones go with {@link #spoolRest()} after {@link #finish()}.
   */
  void spoolManifest(ManifestSpool spool) {
    this.spool = spool;
  }

  /** Entry {@code i} with the CRC-32C of its member run, once the run is complete. */
  private Entry withRunCrc(int i) {
    Entry e = entries.get(i);
    Long crc = out.runCrc(e.memberOffset());
    if (crc != null && !crc.equals(e.memberCrc32c())) {
      e = e.withMemberCrc32c(crc);
      entries.set(i, e);
    }
    return e;
  }

  /**
   * Hands the spool the entries placed before {@code runAt}: a run that begins there closed theirs.
   */
  private void spoolBefore(long runAt) {
    int end = spooled;
    while (end < entries.size() && entries.get(end).memberOffset() < runAt) {
      withRunCrc(end);
      end++;
    }
    if (end > spooled) {
      spool.add(List.copyOf(entries.subList(spooled, end)));
      // the spool has them: the new manifest is not also held in the heap to the end, beside the
      // previous one (an incremental of 200,000 files peaked there, ~15 MB above the scan's end)
      for (int i = spooled; i < end; i++) {
        entries.set(i, null);
      }
      spooled = end;
    }
  }

  long files() {
    return files;
  }

  long bytes() {
    return bytes;
  }

  Manifest.Totals totals() {
    requireFinished();
    return new Manifest.Totals(
        entries.size(),
        files,
        bytes,
        members.tarBytes(),
        members.compressedBytes(),
        endMemberOffset);
  }

  String archiveSha256() {
    requireFinished();
    return Digests.hex(archiveDigest.digest());
  }

  /**
   * Stops the compressing threads; an unfinished archive is left as it is, for the caller to
   * delete.
   */
  @Override
  public void close() throws IOException {
    try {
      members.close();
    } finally {
      out.close();
      fileDigests.close();
      try {
        writeBack.stop();
      } finally {
        try {
          FileChannel d = direct;
          if (d != null) {
            d.close();
          }
        } finally {
          channel.close();
        }
      }
    }
  }

  /**
   * The archive file as the members reach it. Bytes gather in one of {@link #BUFFERS} direct
   * buffers (fewer where direct memory is short: several runs at once share the JVM's); a full one
   * is handed to two threads at once, one writing it at its place in the file, one taking the
   * archive's SHA-256, and comes back when both are done. The caller's thread takes each member
   * run's CRC-32C as it appends the bytes. A range copied from a previous archive is read into the
   * same buffers on the caller's thread (an incremental backup's caller has little else to do), so
   * its bytes are checked, digested and written like any others.
   *
   * <p>Where the file system allows it the file is written with O_DIRECT: the buffers go to the
   * disk without being copied into the page cache, which costs the CPU as much as compressing
   * incompressible data (a page cache the machine must first find memory for: this VM spent 2.4
   * CPU-s writing 700 MB that way, 0.1 s directly), and the user's cached files are not pushed out
   * by hundreds of megabytes of archive that nothing reads soon. Direct writes must start and end
   * on the file system's blocks: a buffer handed over part full (at a flush) is written padded with
   * zeros, its last partial block starts the next buffer and is written again with what follows,
   * and the file is cut to its length at the end. Where O_DIRECT is refused, at the open or at the
   * first write, the same buffers are written through the page cache with early write-back ({@link
   * WriteBack}). A failure on either thread is reported by the next write or flush.
   */
  private final class Out extends OutputStream implements GzipMembers.RangeCopier {
    private static final int BUFFER = 1 << 20;
    private static final int BUFFERS = 4;
    private final java.util.concurrent.ExecutorService writer =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-archive"));
    private final java.util.concurrent.ExecutorService digester =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-archive-digest"));
    private final BufferPool<java.nio.ByteBuffer> buffers =
        new BufferPool<>(this::newBuffer, BUFFERS + SpareBuffers.PER_WRITER);
    // buffers made (those beyond BUFFERS taken from the spare budget): only the caller's thread
    // makes them
    private int made;
    private java.nio.ByteBuffer current;
    // where current's first byte goes in the file; only the caller's thread moves it
    private long bufferAt;
    // bytes at current's start that were digested with the buffer before (a carried partial block)
    private int digestedPrefix;
    private java.util.concurrent.Future<?> lastWrite;
    private java.util.concurrent.Future<?> lastDigest;
    private volatile IOException failed;
    // The CRC-32C of the member run being appended, taken on the caller's thread as bytes arrive
    // (a copied run's is checked against the previous archive's manifest at its end): the digest
    // thread, an incremental backup's bottleneck, takes only the SHA-256.
    private final java.util.zip.CRC32C runCrc = new java.util.zip.CRC32C();
    // where the open run began, -1 when none is open
    private long runAt = -1;
    // each complete run's offset and CRC-32C, in file order: 12 bytes a run
    private long[] runOffsets = new long[1024];
    private int[] runValues = new int[1024];
    private int runs;

    /**
     * One of the writer's own {@link #BUFFERS}, or beyond them one of the spare budget all writers
     * share; null when that is spent (the pool then goes on with the buffers it has).
     */
    private java.nio.ByteBuffer newBuffer() {
      boolean fromSpare = made >= BUFFERS;
      if (fromSpare && !SpareBuffers.take()) {
        return null;
      }
      try {
        java.nio.ByteBuffer b = alignedBuffer(BUFFER, alignment);
        made++;
        return b;
      } catch (OutOfMemoryError e) {
        if (fromSpare) {
          SpareBuffers.give(1);
        }
        throw e;
      }
    }

    /** Where the next byte goes in the archive. */
    private long position() {
      return bufferAt + (current == null ? 0 : current.position());
    }

    @Override
    public void beginRun() {
      closeRun();
      runAt = position();
    }

    /** The CRC-32C of the member run that begins at {@code offset}, null if none is complete. */
    Long runCrc(long offset) {
      int i = Arrays.binarySearch(runOffsets, 0, runs, offset);
      return i < 0 ? null : Integer.toUnsignedLong(runValues[i]);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      throwIfFailed();
      while (len > 0) {
        java.nio.ByteBuffer buf = buffer();
        int n = Math.min(len, buf.remaining());
        buf.put(b, off, n);
        runCrc.update(b, off, n);
        off += n;
        len -= n;
        if (!buf.hasRemaining()) {
          handOver(false);
        }
      }
    }

    private java.nio.ByteBuffer buffer() throws IOException {
      if (current == null) {
        current = buffers.take("writing the archive").clear();
      }
      return current;
    }

    /**
     * Appends the range as it reads, into the buffers, taking each run's CRC-32C from the bytes
     * just read: a run that is not what the previous manifest recorded fails the copy at its end.
     */
    @Override
    public void copy(FileChannel from, long offset, long length, long[] runLengths, long[] crcs)
        throws IOException {
      throwIfFailed();
      closeRun();
      long start = position();
      int run = 0;
      // where the run being read begins, from the range's start
      long runFrom = 0;
      long runLeft = runLengths.length == 0 ? Long.MAX_VALUE : runLengths[0];
      runAt = start;
      long at = offset;
      long end = offset + length;
      while (at < end) {
        java.nio.ByteBuffer buf = buffer();
        int limit = buf.limit();
        int p = buf.position();
        buf.limit(p + (int) Math.min(buf.remaining(), end - at));
        int n = from.read(buf, at);
        buf.limit(limit);
        if (n < 0) {
          throw previousEnded(at, offset, length);
        }
        // the bytes just read, cut where runs end
        java.nio.ByteBuffer read = buf.duplicate().position(p).limit(p + n);
        while (read.hasRemaining()) {
          int piece = (int) Math.min(read.remaining(), runLeft);
          runCrc.update(read.duplicate().limit(read.position() + piece));
          read.position(read.position() + piece);
          runLeft -= piece;
          if (runLeft == 0) {
            long crc = runCrc.getValue();
            if (crc != crcs[run]) {
              throw new PreviousArchiveDamaged(
                  String.format(
                      "the member run at offset %d (%d bytes) of the previous archive has CRC-32C"
                          + " %08x, not %08x as its manifest recorded",
                      offset + runFrom, runLengths[run], crc, crcs[run]));
            }
            closeRun();
            runFrom += runLengths[run];
            run++;
            runLeft = run < runLengths.length ? runLengths[run] : Long.MAX_VALUE;
            // after the range's last run nothing is open: the next run begins one of its own
            runAt = run < runLengths.length ? start + runFrom : -1;
          }
        }
        at += n;
        if (!buf.hasRemaining()) {
          handOver(false);
        }
      }
    }

    /**
     * Hands the current buffer to the writer and the digest thread. Part full ({@code partial}, at
     * a flush), it is written padded to the block and its last partial block starts the next one.
     */
    private void handOver(boolean partial) throws IOException {
      if (current == null || current.position() == digestedPrefix) {
        // nothing new: a carried block was written already
        return;
      }
      java.nio.ByteBuffer buf = current;
      int n = buf.position();
      long at = bufferAt;
      int from = digestedPrefix;
      current = null;
      digestedPrefix = 0;
      int carried = direct == null ? 0 : n % alignment;
      if (partial && carried != 0) {
        // the next buffer starts where the partial block does, holding its bytes
        java.nio.ByteBuffer next = buffer();
        next.put(buf.duplicate().position(n - carried).limit(n));
        digestedPrefix = carried;
      }
      bufferAt = at + n - carried;
      java.util.concurrent.atomic.AtomicInteger holders =
          new java.util.concurrent.atomic.AtomicInteger(2);
      Runnable done =
          () -> {
            if (holders.decrementAndGet() == 0) {
              buffers.release(buf);
            }
          };
      lastWrite =
          writer.submit(
              () -> {
                try {
                  guarded(() -> writeAt(buf, n, at));
                } finally {
                  done.run();
                }
              });
      lastDigest =
          digester.submit(
              () -> {
                try {
                  guarded(() -> digest(buf.duplicate().position(from).limit(n)));
                } finally {
                  done.run();
                }
              });
    }

    /** On the writer thread: the buffer's first {@code n} bytes at {@code at}. */
    private void writeAt(java.nio.ByteBuffer buf, int n, long at) throws IOException {
      FileChannel d = direct;
      if (d != null) {
        int length = (n + alignment - 1) / alignment * alignment;
        java.nio.ByteBuffer b = buf.duplicate().clear();
        // the padding beyond the data: zeros, cut off at the end or written over by the next buffer
        for (int i = n; i < length; i++) {
          b.put(i, (byte) 0);
        }
        b.position(0).limit(length);
        try {
          writeFully(d, b, at);
          return;
        } catch (IOException | RuntimeException e) {
          if (directWritten) {
            throw e;
          }
          // refused at the first write (some file systems open for O_DIRECT but cannot do it)
          LOG.info("writing the archive without O_DIRECT: {}", e.toString());
          direct = null;
          try {
            d.close();
          } catch (IOException ignored) {
            // it wrote nothing
          }
        }
      }
      writeFully(channel, buf.duplicate().position(0).limit(n), at);
      writeBack.wrote(n);
    }

    private void writeFully(FileChannel to, java.nio.ByteBuffer b, long at) throws IOException {
      long p = at;
      while (b.hasRemaining()) {
        p += to.write(b, p);
      }
      if (to == direct) {
        directWritten = true;
      }
    }

    /** On the digest thread: the archive's next bytes, in order, into its SHA-256. */
    private void digest(java.nio.ByteBuffer buf) {
      archiveDigest.update(buf);
    }

    /** Ends the open run, if any: records its offset and CRC-32C, and starts the next CRC. */
    private void closeRun() {
      if (runAt >= 0) {
        if (runs == runOffsets.length) {
          runOffsets = Arrays.copyOf(runOffsets, runs * 2);
          runValues = Arrays.copyOf(runValues, runs * 2);
        }
        runOffsets[runs] = runAt;
        runValues[runs++] = (int) runCrc.getValue();
        runAt = -1;
      }
      runCrc.reset();
    }

    /** Work on one of this stream's threads that may fail with an I/O error. */
    private interface Work {
      void run() throws IOException;
    }

    /** Runs {@code work} unless something failed already; its failure is kept for the caller. */
    private void guarded(Work work) {
      try {
        if (failed == null) {
          work.run();
        }
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    private synchronized void fail(Exception e) {
      if (failed == null) {
        failed =
            e instanceof IOException io
                ? io
                : new IOException("writing the archive failed: " + e, e);
      }
    }

    private void throwIfFailed() throws IOException {
      IOException e = failed;
      if (e != null) {
        throw e;
      }
    }

    /** Waits until everything handed over is digested and in the file. */
    @Override
    public void flush() throws IOException {
      handOver(true);
      await(lastWrite, "writing the archive");
      await(lastDigest, "digesting the archive");
      lastWrite = lastDigest = null;
      throwIfFailed();
    }

    /**
     * After the last flush: cuts the padding of the last block off, and forces the archive with its
     * length to disk.
     */
    void finish() throws IOException {
      flush();
      channel.truncate(position());
      channel.force(true);
    }

    /** Stops the threads, waiting for work in progress: the channels must outlive it. */
    @Override
    public void close() {
      for (java.util.concurrent.ExecutorService e : List.of(writer, digester)) {
        e.shutdownNow();
      }
      for (java.util.concurrent.ExecutorService e : List.of(writer, digester)) {
        try {
          e.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      if (made > BUFFERS) {
        SpareBuffers.give(made - BUFFERS);
        made = BUFFERS;
      }
    }

    private static IOException previousEnded(long at, long offset, long length) {
      return new IOException(
          "the previous archive ended at "
              + at
              + " inside a member it was to give ("
              + offset
              + "+"
              + length
              + ")");
    }

    private static void await(java.util.concurrent.Future<?> f, String what) throws IOException {
      if (f == null) {
        return;
      }
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while " + what);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw new IOException(what + " failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /**
   * Writes into the archive file and starts writing it back to disk every {@link #EVERY} bytes, on
   * a thread of its own: the kernel would otherwise hold gigabytes of the archive in memory until
   * the final fsync, which then waits for all of it. Started early, the disk works while the CPU
   * compresses, and the final fsync only waits for the tail. A failed early write-back is left to
   * the final fsync to report.
   */
  private static final class WriteBack {
    static final long EVERY = 32L << 20;
    private final FileChannel channel;
    // a descriptor of the archive for sync_file_range; -1 where libc cannot be had
    private final int fd;
    private final java.util.concurrent.ExecutorService thread =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-writeback"));
    private java.util.concurrent.Future<?> running;
    private long since;

    WriteBack(Path file, FileChannel channel) {
      this.channel = channel;
      int d = -1;
      if (LibC.canPass(file)) {
        try {
          d = LibC.open(file.toString(), 02000000 /* O_CLOEXEC */);
        } catch (com.sun.jna.LastErrorException | UnsatisfiedLinkError e) {
          d = -1;
        }
      }
      this.fd = d;
    }

    /** Counts bytes written to the archive through the page cache, on the writer thread. */
    synchronized void wrote(long n) {
      since += n;
      if (since >= EVERY && (running == null || running.isDone())) {
        since = 0;
        running = thread.submit(this::startWriteBack);
      }
    }

    /**
     * Starts the disk on what is written so far. sync_file_range only queues the dirty pages: an
     * fdatasync here also committed the filesystem's journal every 32 MiB, and while a commit is
     * slow (other files' deletes and discards on ext4) the writer's own writes wait at each one.
     */
    private void startWriteBack() {
      try {
        if (fd >= 0) {
          LibC.sync_file_range(fd, 0, 0, LibC.SYNC_FILE_RANGE_WRITE);
        } else {
          channel.force(false);
        }
      } catch (IOException | com.sun.jna.LastErrorException e) {
        // the final force reports a failed write, on the writer's thread
      }
    }

    /** Waits for a write-back in progress: the channel must outlive it. */
    void stop() {
      thread.shutdown();
      try {
        thread.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        if (fd >= 0 && thread.isTerminated()) {
          LibC.close(fd);
        }
      }
    }
  }

  /** A direct buffer of {@code size} bytes whose address is a multiple of {@code alignment}. */
  private static java.nio.ByteBuffer alignedBuffer(int size, int alignment) {
    return java.nio.ByteBuffer.allocateDirect(size + alignment - 1)
        .alignedSlice(alignment)
        .limit(size)
        .slice();
  }

  /** Members are written in the order entries were added, so offsets arrive in entry order. */
  private void placed(int tag, long offset, long length) {
    if (tag == END_OF_ARCHIVE) {
      endMemberOffset = offset;
      return;
    }
    // done with: a large tree holds only what the manifest needs
    Added a = added.set(tag, null);
    Item item = a.item();
    entries.add(
        new Entry(
            item.path(),
            item.type(),
            Manifest.modeText(item.mode()),
            // to the nanosecond, for a restore to apply; the tar header holds the whole seconds
            item.mtime(),
            item.type() == EntryType.FILE ? item.size() : 0,
            a.sha256() == null ? null : a.sha256().join(),
            item.linkTarget(),
            a.tarOffset(),
            offset,
            length,
            a.stamp() == null ? null : a.stamp().ctime(),
            a.stamp() == null ? null : a.stamp().inode()));
    if (spool != null && entries.size() - spooled > SPOOL_BATCH) {
      spoolBefore(offset);
    }
  }

  private void requireFinished() {
    if (!finished) {
      throw new IllegalStateException("archive not finished");
    }
  }

  /**
   * Stores the file's data, padded with zeros if it ends early; sets {@link #lastSha} (its digest,
   * computed by {@link FileDigests} for all but small files), returns bytes read.
   */
  private long copy(Item item, java.nio.channels.ReadableByteChannel data) throws IOException {
    boolean inline = item.size() <= FileDigests.INLINE_MAX;
    // a small file's digest is taken here and done before the next: one digest for all of them (a
    // new one a file, with its native context, was a fifth of a small-file backup's garbage)
    MessageDigest md = inline ? inlineDigest : Digests.sha256();
    md.reset();
    long left = item.size();
    boolean ended = false;
    long read = 0;
    byte[] whole = null;
    while (left > 0) {
      int want = (int) Math.min(FileDigests.BUFFER, left);
      int n = ended ? -1 : members.read(data, want);
      if (n < 0) {
        // the file ended early: zeros, as GNU tar stores, digested as what the archive holds
        ended = true;
        byte[] b = inline ? buffer : fileDigests.buffer();
        n = Math.min(want, b.length);
        Arrays.fill(b, 0, n, (byte) 0);
        try {
          members.write(b, 0, n);
        } catch (IOException | RuntimeException e) {
          if (!inline) {
            fileDigests.release(b);
          }
          throw e;
        }
        if (inline) {
          md.update(b, 0, n);
        } else {
          fileDigests.update(md, b, n);
        }
      } else if (n > 0) {
        read += n;
        if (inline && n == item.size() && NativeSha256.AVAILABLE) {
          // the whole file in one read: one native call (md, reset, stays unused)
          whole = NativeSha256.of(members.lastRead(n));
        } else if (inline) {
          md.update(members.lastRead(n));
        } else {
          fileDigests.update(md, members.holdLastRead(), members.lastRead(n));
        }
      }
      left -= n;
      progress.bytes(n);
    }
    lastSha =
        inline
            ? java.util.concurrent.CompletableFuture.completedFuture(
                Digests.hex(whole != null ? whole : md.digest()))
            : fileDigests.finish(md);
    return read;
  }

  private static TarArchiveEntry tarEntry(Item item) {
    byte flag =
        switch (item.type()) {
          case FILE -> TarConstants.LF_NORMAL;
          case DIR -> TarConstants.LF_DIR;
          case SYMLINK -> TarConstants.LF_SYMLINK;
          case HARDLINK -> TarConstants.LF_LINK;
        };
    String name = item.type() == EntryType.DIR ? item.path() + "/" : item.path();
    TarArchiveEntry te = new TarArchiveEntry(name, flag, true);
    te.setMode(item.mode() & 07777);
    // whole seconds, as GNU tar writes by default: a fraction would add a PAX record to every entry
    te.setModTime(FileTime.from(item.mtime().truncatedTo(ChronoUnit.SECONDS)));
    te.setSize(item.type() == EntryType.FILE ? item.size() : 0);
    if (item.linkTarget() != null) {
      te.setLinkName(item.linkTarget());
    }
    te.setUserId(item.uid());
    te.setGroupId(item.gid());
    if (item.user() != null) {
      te.setUserName(item.user());
    }
    if (item.group() != null) {
      te.setGroupName(item.group());
    }
    return te;
  }
}
