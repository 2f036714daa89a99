package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Checks every byte of an archive (the repository's checker, as restic calls it): the manifest's
 * member ranges must tile the file, each entry's members (a pack's, for its small files together)
 * are inflated and checked against the manifest (name, type, size, link, SHA-256) on all cores,
 * since members are independent, while one more thread digests the whole file for the archive
 * checksum. Failures are reported in entry order, as a front-to-back read would meet them. Memory
 * is bounded: {@code 4 × threads} runs of entries in flight, each thread decoding through its own
 * {@link MemberDecoder}. {@link Restorer} reads entries the same way ({@link #readRun}): a pack of
 * small files is one run, read in order.
 */
final class Checker {
  private final Clock clock;
  private final int threads;

  Checker(Clock clock, int threads) {
    this.clock = clock;
    this.threads = threads;
  }

  VerifyResult verify(Repository repository, ArchiveRef ref, ProgressListener listener, String by)
      throws IOException {
    // before the manifest is read: what is recorded as verified is no newer than what was checked
    String manifestSha256 = ArchiveStates.manifestDigest(ref);
    // before the archive is read: a write after this makes the record name other bytes
    Instant archiveModified = ArchiveStates.modified(ref);
    Manifest m = repository.manifest(ref);
    restorable(ref, m);
    Compression format = Compression.checked(ref, m);
    Progress progress = new Progress(listener, m.totals().bytes());
    List<Entry> entries = m.entries();
    ExecutorService pool = DaemonThreads.pool("lifeboat-verify", threads + 1);
    MemberDecoder.PerThread decoders = new MemberDecoder.PerThread(format);
    try (FileChannel ch = FileChannel.open(ref.path(), StandardOpenOption.READ)) {
      long size = ch.size();
      checkLayout(ref, m, size);
      Future<String> fileDigest = pool.submit(() -> digestFile(ch, size));
      eachRun(
          pool,
          threads,
          entries,
          (start, end) -> checkRun(ref, ch, entries, start, end, decoders.get()),
          progress);
      long end = m.totals().endMemberOffset();
      checkEnd(ref, format, ch, end, size - end);
      ArchiveEntries.checkArchiveDigest(ref, m, get(fileDigest));
      // last, so a difference the archive shows is named first: Lifeboat never rewrites a
      // manifest, and the folder's own metadata, which no tar header repeats, is only as good as
      // the manifest the last verify checked
      manifestUnchanged(ref, manifestSha256);
    } finally {
      pool.shutdownNow();
      if (awaitEnd(pool)) {
        decoders.close();
      }
    }
    Instant now = clock.instant();
    try {
      ArchiveStates.write(ref, ArchiveState.verified(now, by, manifestSha256, archiveModified));
    } catch (IOException | dev.lifeboat.activities.action.ActionException e) {
      // every byte was checked; a restore from a full or read-only repository goes on unrecorded
      String why = RepositoryFiles.unwritable(ref.path().getParent(), e);
      if (why == null) {
        throw e;
      }
      String text =
          "archive "
              + ref.name()
              + " verified, but not recorded as verified: the repository "
              + why;
      org.slf4j.LoggerFactory.getLogger(Checker.class).warn(text);
      progress.listener().message(text);
    }
    progress.report();
    return new VerifyResult(ref, m.totals().entries(), m.totals().files(), m.totals().bytes(), now);
  }

  /**
   * An archive a restore would refuse (a name with '..', an absolute one, an entry below a link) is
   * no backup, however intact its bytes: not verified, and damaged so that latest, retention and
   * drills pass it over. A JVM that cannot spell a name is this machine's problem, not the
   * archive's.
   */
  private static void restorable(ArchiveRef ref, Manifest m) {
    try {
      RestoreGuard.check(ref.name(), m.entries());
      RestoreGuard.checkRoot(ref.name(), m.root());
    } catch (dev.lifeboat.activities.action.ActionException e) {
      if (!RawNames.fileNamesAreUtf8()) {
        throw e;
      }
      throw new DamagedArchive(
          ref, "archive " + ref.name() + " cannot be restored safely: " + e.getMessage());
    }
  }

  /**
   * See {@link Repository#checkEntries}: the selected entries' runs, one after the other. Answers
   * the owner each selected entry's header gives (the very entry objects of {@code m} as keys).
   */
  static Map<Entry, Owner> checkEntries(
      Manifest m, ArchiveRef ref, java.util.function.Predicate<Entry> wanted) throws IOException {
    String manifestSha256 = ArchiveStates.manifestDigest(ref);
    List<Entry> entries = m.entries();
    Map<Entry, Owner> owners = new IdentityHashMap<>();
    // a folder's entries mostly share a few owners: one record each
    Map<Owner, Owner> distinct = new HashMap<>();
    try (FileChannel ch = FileChannel.open(ref.path(), StandardOpenOption.READ);
        MemberDecoder decoder = new MemberDecoder(Compression.checked(ref, m))) {
      checkLayout(ref, m, ch.size());
      for (int start = 0; start < entries.size(); ) {
        int end = runEnd(entries, start);
        for (int i = start; i < end; i++) {
          if (wanted.test(entries.get(i))) {
            checkRun(
                ref,
                ch,
                entries,
                start,
                end,
                decoder,
                (j, te) -> {
                  Entry e = entries.get(j);
                  if (wanted.test(e)) {
                    owners.put(e, distinct.computeIfAbsent(Owner.of(te), o -> o));
                  }
                });
            break;
          }
        }
        start = end;
      }
    }
    manifestUnchanged(ref, manifestSha256);
    return owners;
  }

  private static void manifestUnchanged(ArchiveRef ref, String manifestSha256) {
    String changed = ArchiveStates.manifestChangedSinceVerify(ref, manifestSha256);
    if (changed != null) {
      throw new DamagedArchive(ref, "archive " + ref.name() + " is damaged: " + changed);
    }
  }

  /**
   * One run of entries' work on a pool thread (entries {@code start} to {@code end} - 1, sharing
   * their members): for each, the bytes of a file, or -1 for other entries.
   */
  interface RunTask {
    long[] run(int start, int end) throws IOException;
  }

  /**
   * Runs {@code task} for each run of entries that share their members (a pack of small files, or
   * one entry alone) on {@code pool}, at most {@code 4 × threads} runs in flight, and counts the
   * results into {@code progress} as runs finish; the first failure in entry order is thrown, and
   * what is still queued is cancelled. Verify and restore both read an archive this way.
   */
  static void eachRun(
      ExecutorService pool, int threads, List<Entry> entries, RunTask task, Progress progress)
      throws IOException {
    ArrayDeque<Future<long[]>> inFlight = new ArrayDeque<>();
    // a run's place in the window is free once it ran, wherever it is: waiting for the oldest run
    // (a large file's) kept the other threads without work, one core idle through a restore's
    // large files
    java.util.concurrent.Semaphore room = new java.util.concurrent.Semaphore(4 * threads);
    try {
      for (int i = 0; i < entries.size(); ) {
        int start = i;
        int end = runEnd(entries, i);
        try {
          room.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while reading the archive");
        }
        inFlight.add(
            pool.submit(
                () -> {
                  try {
                    return task.run(start, end);
                  } finally {
                    room.release();
                  }
                }));
        sweep(inFlight, progress);
        i = end;
      }
      while (!inFlight.isEmpty()) {
        account(progress, get(inFlight.poll()));
      }
    } catch (IOException | RuntimeException | Error e) {
      inFlight.forEach(f -> f.cancel(false));
      throw e;
    }
  }

  /**
   * Counts the runs that are done, wherever they are in the window. A run that failed is not thrown
   * before the runs ahead of it are done: the first failure in entry order is the one thrown.
   */
  static void sweep(ArrayDeque<Future<long[]>> inFlight, Progress progress) throws IOException {
    for (java.util.Iterator<Future<long[]>> it = inFlight.iterator(); it.hasNext(); ) {
      Future<long[]> f = it.next();
      if (!f.isDone()) {
        continue;
      }
      long[] results;
      try {
        results = get(f);
      } catch (IOException | RuntimeException e) {
        // in order from the oldest: an earlier failure, or this one, is thrown
        while (!inFlight.isEmpty()) {
          account(progress, get(inFlight.poll()));
        }
        throw e;
      }
      it.remove();
      account(progress, results);
    }
  }

  /** True when the manifest places both entries at the same members: they share a pack. */
  static boolean sameMembers(Entry a, Entry b) {
    return a.memberOffset() == b.memberOffset() && a.memberLength() == b.memberLength();
  }

  /** The first entry after {@code start} that is not in {@code start}'s members. */
  static int runEnd(List<Entry> entries, int start) {
    Entry first = entries.get(start);
    int end = start + 1;
    while (end < entries.size() && sameMembers(entries.get(end), first)) {
      end++;
    }
    return end;
  }

  /** The first entry of the members that hold entry {@code i}. */
  static int runStart(List<Entry> entries, int i) {
    int start = i;
    while (start > 0 && sameMembers(entries.get(start - 1), entries.get(i))) {
      start--;
    }
    return start;
  }

  private static void account(Progress progress, long[] results) {
    for (long r : results) {
      account(progress, r);
    }
  }

  /** Bytes of a checked file, or -1 for entries that are not files (and the end). */
  private static void account(Progress progress, long fileBytes) {
    if (fileBytes >= 0) {
      progress.bytes(fileBytes);
      progress.file();
    } else {
      progress.checkCancelled();
    }
  }

  /**
   * Entry members one after the other from offset 0 (the entries of a pack at the same ones), then
   * the end member up to the file's end.
   */
  static void checkLayout(ArchiveRef ref, Manifest m, long size) {
    String problem = layoutProblem(ref, m, size);
    if (problem != null) {
      throw new DamagedArchive(ref, problem);
    }
  }

  /** What is wrong with where the manifest places the members, or null when they tile the file. */
  static String layoutProblem(ArchiveRef ref, Manifest m, long size) {
    if (m.totals().compressedBytes() != size) {
      return "archive "
          + ref.name()
          + " is "
          + size
          + " bytes but its manifest says "
          + m.totals().compressedBytes()
          + " (truncated or appended to)";
    }
    long next = 0;
    Entry previous = null;
    for (Entry e : m.entries()) {
      if (previous != null && sameMembers(previous, e)) {
        continue;
      }
      previous = e;
      if (e.memberOffset() != next || e.memberLength() <= 0) {
        return "archive "
            + ref.name()
            + ": the manifest places '"
            + e.path()
            + "' at "
            + e.memberOffset()
            + "+"
            + e.memberLength()
            + ", not right after the entry before it ("
            + next
            + ")";
      }
      next += e.memberLength();
    }
    if (m.totals().endMemberOffset() != next || next >= size) {
      return "archive "
          + ref.name()
          + ": the manifest's end of entries ("
          + next
          + ") and end-of-archive member ("
          + m.totals().endMemberOffset()
          + ") do not fit the file ("
          + size
          + " bytes)";
    }
    return null;
  }

  /** Each verifying thread's buffer: most entries are small files, read in one go. */
  private static final ThreadLocal<byte[]> BUFFER =
      ThreadLocal.withInitial(() -> new byte[64 * 1024]);

  private static long[] checkRun(
      ArchiveRef ref,
      FileChannel ch,
      List<Entry> entries,
      int start,
      int end,
      MemberDecoder decoder)
      throws IOException {
    return checkRun(ref, ch, entries, start, end, decoder, (i, te) -> {});
  }

  /** What a check does with each header that matched the manifest, besides checking it. */
  private interface HeaderSeen {
    void seen(int index, TarArchiveEntry header);
  }

  private static long[] checkRun(
      ArchiveRef ref,
      FileChannel ch,
      List<Entry> entries,
      int start,
      int end,
      MemberDecoder decoder,
      HeaderSeen headers)
      throws IOException {
    long[] results = new long[end - start];
    readRun(
        ref,
        ch,
        entries,
        start,
        end,
        decoder,
        (i, te, data) -> {
          headers.seen(i, te);
          Entry e = entries.get(i);
          if (e.type() != EntryType.FILE) {
            results[i - start] = -1;
            return;
          }
          String sha;
          try {
            sha = e.size() >= PIPELINED_MIN ? digestPipelined(data) : digest(data);
          } catch (IOException ex) {
            throw DamagedArchive.readFailure(ref, e, ex);
          }
          DamagedArchive.checkDigest(ref, e, sha);
          results[i - start] = e.size();
        });
    return results;
  }

  /**
   * Files from this size on are decoded on the verifying thread and digested on a thread of their
   * own: one large file is otherwise a single thread's inflate and SHA-256 one after the other
   * while the other cores have nothing left to check.
   */
  static final long PIPELINED_MIN = 16L << 20;

  // each thread's digest for the files it checks one after the other (a new one a file, with its
  // native context, was much of the garbage of a verify of many small files)
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Digests::sha256);

  private static String digest(InputStream data) throws IOException {
    MessageDigest md = DIGEST.get();
    md.reset();
    byte[] buffer = BUFFER.get();
    int k;
    while ((k = data.read(buffer)) >= 0) {
      md.update(buffer, 0, k);
    }
    return Digests.hex(md.digest());
  }

  private static String digestPipelined(InputStream data) throws IOException {
    MessageDigest md = Digests.sha256();
    try (FileDigests digests = new FileDigests()) {
      while (true) {
        byte[] b = digests.buffer();
        int k;
        try {
          k = data.readNBytes(b, 0, b.length);
        } catch (IOException | RuntimeException ex) {
          digests.release(b);
          throw ex;
        }
        if (k == 0) {
          digests.release(b);
          break;
        }
        digests.update(md, b, k);
      }
      return get(digests.finish(md));
    }
  }

  /** What a reader does with an entry whose header matched the manifest. */
  interface EntryBody<T> {
    T read(TarArchiveEntry header, InputStream data) throws IOException;
  }

  /** What a reader does with each entry of a run whose header matched the manifest. */
  interface RunBody {
    void read(int index, TarArchiveEntry header, InputStream data) throws IOException;
  }

  /**
   * Reads entry {@code i} from its members: from the start of the run (pack) that holds it, every
   * header must match the manifest; {@code body} gets entry {@code i}'s data. Decoding failures
   * mark the archive damaged; what {@code body} throws (a full disk, say) passes through as it is.
   */
  static <T> T readEntry(
      ArchiveRef ref,
      FileChannel ch,
      List<Entry> entries,
      int i,
      MemberDecoder decoder,
      EntryBody<T> body)
      throws IOException {
    List<T> result = new ArrayList<>(1);
    int start = runStart(entries, i);
    int end = runEnd(entries, start);
    read(
        ref,
        ch,
        entries,
        start,
        i + 1,
        end,
        decoder,
        (j, te, data) -> {
          if (j == i) {
            result.add(body.read(te, data));
          }
        });
    return result.get(0);
  }

  /**
   * Reads the run of entries {@code start} to {@code end} - 1, which share their members, in order:
   * each header must match the manifest, {@code body} gets each entry's data, and nothing may
   * follow the last in those members. Decoding failures mark the archive damaged; what {@code body}
   * throws (a full disk, say) passes through as it is.
   */
  static void readRun(
      ArchiveRef ref,
      FileChannel ch,
      List<Entry> entries,
      int start,
      int end,
      MemberDecoder decoder,
      RunBody body)
      throws IOException {
    read(ref, ch, entries, start, end, end, decoder, body);
  }

  /** Reads entries {@code start} to {@code upTo} - 1 of the run ending at {@code end}. */
  private static void read(
      ArchiveRef ref,
      FileChannel ch,
      List<Entry> entries,
      int start,
      int upTo,
      int end,
      MemberDecoder decoder,
      RunBody body)
      throws IOException {
    Entry first = entries.get(start);
    try (TarRun tar = new TarRun(decoder.open(ch, first.memberOffset(), first.memberLength()))) {
      for (int i = start; i < upTo; i++) {
        Entry e = entries.get(i);
        TarArchiveEntry te;
        try {
          te = tar.next();
        } catch (IOException ex) {
          throw DamagedArchive.readFailure(ref, e, ex);
        }
        if (te == null) {
          throw new DamagedArchive(
              ref,
              "archive "
                  + ref.name()
                  + ": no entry at the offset the manifest gives for '"
                  + e.path()
                  + "'");
        }
        ArchiveEntries.expect(ref, entries, i, te);
        body.read(i, te, tar);
      }
      if (upTo < end) {
        return;
      }
      TarArchiveEntry extra;
      Entry last = entries.get(end - 1);
      try {
        extra = tar.next();
      } catch (IOException ex) {
        throw DamagedArchive.readFailure(ref, last, ex);
      }
      if (extra != null) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": entry '"
                + ArchiveReader.pathOf(extra)
                + "' is not in the manifest (found in the members of '"
                + last.path()
                + "')");
      }
    }
  }

  /** The end-of-archive member: only zeros (the two end records). */
  static long checkEnd(ArchiveRef ref, Compression format, FileChannel ch, long offset, long length)
      throws IOException {
    try (InputStream in =
        format.decoding(
            new BufferedInputStream(new MemberDecoder.Range(ch, offset, length), 64 * 1024))) {
      byte[] buffer = new byte[64 * 1024];
      int k;
      long total = 0;
      while ((k = in.read(buffer)) >= 0) {
        for (int j = 0; j < k; j++) {
          if (buffer[j] != 0) {
            throw new DamagedArchive(
                ref, "archive " + ref.name() + " holds data after its last entry");
          }
        }
        total += k;
      }
      if (total < 2 * TarConstants.DEFAULT_RCDSIZE) {
        throw new DamagedArchive(
            ref, "archive " + ref.name() + " lacks its end-of-archive records");
      }
      return -1;
    } catch (IOException ex) {
      if (ArchiveEntries.isOwnStreamFailure(ex)) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + " is corrupt after its last entry: "
                + DamagedArchive.why(ex));
      }
      throw ex;
    }
  }

  /** The SHA-256 of the whole file at {@code file}, read as a stream. */
  static String digestFile(java.nio.file.Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      return digestFile(ch, ch.size());
    }
  }

  static String digestFile(FileChannel ch, long size) throws IOException {
    return digestFile(ch, size, new java.util.concurrent.atomic.AtomicBoolean());
  }

  /**
   * The SHA-256 of the file's first {@code size} bytes; gives up (null) once {@code stop} is set.
   */
  static String digestFile(
      FileChannel ch, long size, java.util.concurrent.atomic.AtomicBoolean stop)
      throws IOException {
    MessageDigest md = Digests.sha256();
    ByteBuffer buf = Digests.buffer(md, 1 << 20);
    long at = 0;
    while (at < size) {
      if (stop.get()) {
        return null;
      }
      buf.clear();
      int k = ch.read(buf, at);
      if (k < 0) {
        break;
      }
      md.update(buf.flip());
      at += k;
    }
    return Digests.hex(md.digest());
  }

  /**
   * Waits for the pool's threads to end; false if they did not within a minute (their native
   * decoders are then left to the process, never freed under a running thread).
   */
  static boolean awaitEnd(ExecutorService pool) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static <T> T get(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while verifying");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("verifying failed: " + cause, cause);
    }
  }
}
