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

  private final FileChannel channel;
  // a second descriptor of the archive: its file offset belongs to the copying thread
  private final FileChannel copyChannel;
  private final WriteBack writeBack;
  private final MessageDigest archiveDigest = Digests.sha256();
  private final Out out;
  private final GzipMembers members;
  private final Progress progress;
  private final List<Added> added = new ArrayList<>();
  private final List<Entry> entries = new ArrayList<>();
  private final byte[] buffer = new byte[64 * 1024];
  private long files;
  private long bytes;
  private long reusedFiles;
  private long reusedBytes;
  private long endMemberOffset = -1;
  private java.util.concurrent.CompletableFuture<String> lastSha;
  private final FileDigests fileDigests = new FileDigests();
  private boolean finished;
  private boolean packSmallFiles;

  ArchiveWriter(Path file, Progress progress) throws IOException {
    this(file, progress, GzipMembers.Settings.defaults());
  }

  ArchiveWriter(Path file, Progress progress, GzipMembers.Settings settings) throws IOException {
    this(file, progress, settings, Compression.GZIP);
  }

  ArchiveWriter(
      Path file, Progress progress, GzipMembers.Settings settings, Compression compression)
      throws IOException {
    this.progress = progress;
    // read too: the archive's digest reads back what was written
    this.channel =
        FileChannel.open(
            file,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
    FileChannel second;
    try {
      second = FileChannel.open(file, StandardOpenOption.WRITE);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    this.copyChannel = second;
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
    java.util.concurrent.CompletableFuture<String> sha = null;
    long read = 0;
    if (item.type() == EntryType.FILE) {
      read = copy(item, data);
      sha = lastSha;
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
    return read;
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
  void addKept(Item item, byte[] data, SourceScan.Stamp stamp) throws IOException {
    add(item, new java.io.ByteArrayInputStream(data), stamp);
    reusedFiles++;
    reusedBytes += item.size();
  }

  long reusedFiles() {
    return reusedFiles;
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
    out.flush();
    channel.force(true);
    finished = true;
  }

  /**
   * Every entry added so far, waiting for members still being compressed; each with the CRC-32C of
   * its member run once the run is complete (the last one's is known after {@link #finish()}).
   */
  List<Entry> entries() throws IOException {
    members.drain();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      Long crc = out.runCrc(e.memberOffset());
      if (crc != null && !crc.equals(e.memberCrc32c())) {
        entries.set(i, e.withMemberCrc32c(crc));
      }
    }
    return List.copyOf(entries);
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
          copyChannel.close();
        } finally {
          channel.close();
        }
      }
    }
  }

  /**
   * The archive file as the members reach it, on threads of their own: the caller's thread also
   * reads, digests and tars the source, the pipeline's busiest. Each piece is given its place in
   * the file as it is handed over. Members are copied into one of {@link #BUFFERS} buffers, written
   * at their place by the writer thread and given back at once; a range copied from a previous
   * archive goes file to file in the kernel on the copying thread. The archive's SHA-256 is taken
   * in file order on the digest thread: a copied range from the previous archive's bytes, a written
   * piece read back from the file once written (at most 64 MiB of them behind, so what it reads
   * back is what the page cache has just taken). So the caller waits for a free buffer only while
   * the writer is behind, not for the digest of the hundreds of megabytes an incremental backup
   * copies unless it has written 64 MiB more meanwhile. A failure on any of them is reported by the
   * next write or flush.
   */
  private final class Out extends OutputStream implements GzipMembers.RangeCopier {
    private static final int BUFFER = 1 << 20;
    private static final int BUFFERS = 4;
    // in KiB: the permits of the semaphore below
    private static final int UNDIGESTED = 64 << 10;
    private final java.util.concurrent.ExecutorService writer =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-archive"));
    private final java.util.concurrent.ExecutorService copier =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-copy"));
    private final java.util.concurrent.ExecutorService digester =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            DaemonThreads.named("lifeboat-archive-digest"));
    private final BufferPool buffers = new BufferPool(BUFFER, BUFFERS);
    // written pieces not yet digested: the read-back stays within what the page cache just took
    private final java.util.concurrent.Semaphore undigested =
        new java.util.concurrent.Semaphore(UNDIGESTED);
    private byte[] current;
    private int used;
    // where the next piece goes; only the caller's thread moves it
    private long position;
    private java.util.concurrent.Future<?> lastWrite;
    private java.util.concurrent.Future<?> lastCopy;
    private java.util.concurrent.Future<?> lastDigest;
    private volatile IOException failed;
    // as the digest wants it (Digests.buffer); digest thread only
    private java.nio.ByteBuffer digestBuffer;
    // Where member runs begin, in file order, handed to the digest thread before their bytes: it
    // takes the CRC-32C of each run as it digests, and checks a copied one against the previous
    // archive's manifest.
    private final java.util.concurrent.ConcurrentLinkedQueue<RunStart> runStarts =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    // digest thread only, read by the caller after a flush
    private final java.util.zip.CRC32C runCrc = new java.util.zip.CRC32C();
    private RunStart run;
    // each complete run's offset and CRC-32C, in file order: 12 bytes a run
    private long[] runOffsets = new long[1024];
    private int[] runValues = new int[1024];
    private int runs;

    /**
     * A member run beginning at {@code at} in the archive; a copied one must have CRC-32C {@code
     * expected} and comes from {@code from} in the previous archive (both -1 for a written one).
     */
    private record RunStart(long at, long expected, long from) {}

    @Override
    public void beginRun() {
      runStarts.add(new RunStart(position + used, -1, -1));
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
        if (current == null) {
          current = buffers.take("writing the archive");
        }
        int n = Math.min(len, BUFFER - used);
        System.arraycopy(b, off, current, used, n);
        used += n;
        off += n;
        len -= n;
        if (used == BUFFER) {
          handOver();
        }
      }
    }

    /** Sends the filled part of the current buffer to be written, then digested from the file. */
    private void handOver() throws IOException {
      if (current == null) {
        return;
      }
      byte[] buf = current;
      int n = used;
      int kib = (n + 1023) >> 10;
      try {
        undigested.acquire(kib);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while writing the archive");
      }
      long at = position;
      current = null;
      used = 0;
      position += n;
      java.util.concurrent.Future<?> written =
          writer.submit(
              () -> {
                try {
                  guarded(
                      () -> {
                        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(buf, 0, n);
                        long to = at;
                        while (bb.hasRemaining()) {
                          to += channel.write(bb, to);
                        }
                        writeBack.wrote(n);
                      });
                } finally {
                  buffers.release(buf);
                }
              });
      lastWrite = written;
      lastDigest =
          digester.submit(
              () -> {
                try {
                  guarded(
                      () -> {
                        await(written, "writing the archive");
                        if (failed == null) {
                          digestRange(channel, at, n, at);
                        }
                      });
                } finally {
                  undigested.release(kib);
                }
              });
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

    @Override
    public void copy(FileChannel from, long offset, long length, long[] runLengths, long[] crcs)
        throws IOException {
      throwIfFailed();
      handOver();
      long at = position;
      long run = at;
      for (int i = 0; i < runLengths.length; i++) {
        runStarts.add(new RunStart(run, crcs[i], offset + run - at));
        run += runLengths[i];
      }
      position += length;
      lastCopy = copier.submit(() -> guarded(() -> copyRange(from, offset, length, at)));
      lastDigest = digester.submit(() -> guarded(() -> digestRange(from, offset, length, at)));
    }

    /** On the copying thread: the range, file to file in the kernel, to its place {@code to}. */
    private void copyRange(FileChannel from, long offset, long length, long to) throws IOException {
      copyChannel.position(to);
      long at = offset;
      long end = offset + length;
      while (at < end) {
        long n = from.transferTo(at, Math.min(end - at, WriteBack.EVERY), copyChannel);
        if (n <= 0) {
          throw previousEnded(at, offset, length);
        }
        at += n;
        writeBack.wrote(n);
      }
    }

    /**
     * On the digest thread: {@code length} bytes of {@code file} at {@code offset}, in order; they
     * are the archive's at {@code archiveAt}.
     */
    private void digestRange(FileChannel file, long offset, long length, long archiveAt)
        throws IOException {
      if (digestBuffer == null) {
        digestBuffer = Digests.buffer(archiveDigest, BUFFER);
      }
      java.nio.ByteBuffer buf = digestBuffer;
      long at = offset;
      long end = offset + length;
      while (at < end) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - at));
        int n = file.read(buf, at);
        if (n < 0) {
          throw previousEnded(at, offset, length);
        }
        buf.flip();
        checkRuns(buf, archiveAt + at - offset);
        archiveDigest.update(buf);
        at += n;
      }
    }

    /**
     * The CRC-32C of member runs over {@code buf}'s bytes (the archive's at {@code at}), closing
     * each run where the next begins; leaves {@code buf} as it was.
     */
    private void checkRuns(java.nio.ByteBuffer buf, long at) throws IOException {
      java.nio.ByteBuffer b = buf.duplicate();
      long end = at + b.remaining();
      RunStart next;
      while ((next = runStarts.peek()) != null && next.at() < end) {
        int limit = b.limit();
        b.limit(b.position() + (int) (next.at() - at));
        runCrc.update(b);
        b.limit(limit);
        at = next.at();
        closeRun(next.at());
        run = runStarts.poll();
        runCrc.reset();
      }
      runCrc.update(b);
    }

    /** Ends the current run at {@code end}: records its CRC-32C, fails if it was to be another. */
    private void closeRun(long end) throws PreviousArchiveDamaged {
      if (run == null) {
        return;
      }
      long crc = runCrc.getValue();
      if (run.expected() >= 0 && crc != run.expected()) {
        throw new PreviousArchiveDamaged(
            String.format(
                "the member run at offset %d (%d bytes) of the previous archive has CRC-32C %08x,"
                    + " not %08x as its manifest recorded",
                run.from(), end - run.at(), crc, run.expected()));
      }
      if (runs == runOffsets.length) {
        runOffsets = Arrays.copyOf(runOffsets, runs * 2);
        runValues = Arrays.copyOf(runValues, runs * 2);
      }
      runOffsets[runs] = run.at();
      runValues[runs++] = (int) crc;
    }

    /** Waits until everything handed over is digested and in the file (the page cache). */
    @Override
    public void flush() throws IOException {
      handOver();
      await(lastWrite, "writing the archive");
      await(lastCopy, "copying from the previous archive");
      await(lastDigest, "digesting the archive");
      lastWrite = lastCopy = lastDigest = null;
      throwIfFailed();
    }

    /** Stops the threads, waiting for work in progress: the channels must outlive it. */
    @Override
    public void close() {
      for (java.util.concurrent.ExecutorService e : List.of(writer, copier, digester)) {
        e.shutdownNow();
      }
      for (java.util.concurrent.ExecutorService e : List.of(writer, copier, digester)) {
        try {
          e.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
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

    /** Counts bytes written to the archive, by the writer and the copying thread. */
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
            item.mtime().truncatedTo(ChronoUnit.SECONDS),
            item.type() == EntryType.FILE ? item.size() : 0,
            a.sha256() == null ? null : a.sha256().join(),
            item.linkTarget(),
            a.tarOffset(),
            offset,
            length,
            a.stamp() == null ? null : a.stamp().ctime(),
            a.stamp() == null ? null : a.stamp().inode()));
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
  private long copy(Item item, InputStream data) throws IOException {
    MessageDigest md = Digests.sha256();
    boolean inline = item.size() <= FileDigests.INLINE_MAX;
    long left = item.size();
    boolean ended = false;
    long read = 0;
    while (left > 0) {
      byte[] b = inline ? buffer : fileDigests.buffer();
      int n;
      try {
        int want = (int) Math.min(b.length, left);
        n = ended ? -1 : data.read(b, 0, want);
        if (n < 0) {
          ended = true;
          Arrays.fill(b, 0, want, (byte) 0);
          n = want;
        } else {
          read += n;
        }
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
      left -= n;
      progress.bytes(n);
    }
    lastSha =
        inline
            ? java.util.concurrent.CompletableFuture.completedFuture(Digests.hex(md.digest()))
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
