package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Checks every byte of an archive (the repository's checker, as restic calls it): the manifest's
 * member ranges must tile the file, each entry's members are inflated and checked against the
 * manifest (name, type, size, link, SHA-256) on all cores, since members are independent, while one
 * more thread digests the whole file for the archive checksum. Failures are reported in entry
 * order, as a front-to-back read would meet them. Memory is bounded: {@code 4 × threads} entries in
 * flight, each read through a small buffer.
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
    Manifest m = repository.manifest(ref);
    Compression format = Compression.checked(ref, m);
    Progress progress = new Progress(listener, m.totals().bytes());
    List<Entry> entries = m.entries();
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads + 1,
            r -> {
              Thread t = new Thread(r, "lifeboat-verify-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try (FileChannel ch = FileChannel.open(ref.path(), StandardOpenOption.READ)) {
      long size = ch.size();
      checkLayout(ref, m, size);
      Future<String> fileDigest = pool.submit(() -> digestFile(ch, size));
      ArrayDeque<Future<Long>> inFlight = new ArrayDeque<>();
      for (int i = 0; i < entries.size(); i++) {
        int index = i;
        inFlight.add(pool.submit(() -> checkEntry(ref, format, ch, entries, index)));
        while (inFlight.size() >= 4 * threads || !inFlight.isEmpty() && inFlight.peek().isDone()) {
          account(progress, get(inFlight.poll()));
        }
      }
      long end = m.totals().endMemberOffset();
      inFlight.add(pool.submit(() -> checkEnd(ref, format, ch, end, size - end)));
      while (!inFlight.isEmpty()) {
        account(progress, get(inFlight.poll()));
      }
      ArchiveEntries.checkArchiveDigest(ref, m, get(fileDigest));
    } finally {
      pool.shutdownNow();
    }
    Instant now = clock.instant();
    ArchiveStates.write(ref, ArchiveState.verified(now, by));
    progress.report();
    return new VerifyResult(ref, m.totals().entries(), m.totals().files(), m.totals().bytes(), now);
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

  /** Entry members one after the other from offset 0, then the end member up to the file's end. */
  private static void checkLayout(ArchiveRef ref, Manifest m, long size) {
    if (m.totals().compressedBytes() != size) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + " is "
              + size
              + " bytes but its manifest says "
              + m.totals().compressedBytes()
              + " (truncated or appended to)");
    }
    long next = 0;
    for (Entry e : m.entries()) {
      if (e.memberOffset() != next || e.memberLength() <= 0) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": the manifest places '"
                + e.path()
                + "' at "
                + e.memberOffset()
                + "+"
                + e.memberLength()
                + ", not right after the entry before it ("
                + next
                + ")");
      }
      next += e.memberLength();
    }
    if (m.totals().endMemberOffset() != next || next >= size) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": the manifest's end of entries ("
              + next
              + ") and end-of-archive member ("
              + m.totals().endMemberOffset()
              + ") do not fit the file ("
              + size
              + " bytes)");
    }
  }

  private static long checkEntry(
      ArchiveRef ref, Compression format, FileChannel ch, List<Entry> entries, int i)
      throws IOException {
    Entry e = entries.get(i);
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(
            format.decoding(
                new BufferedInputStream(
                    new Range(ch, e.memberOffset(), e.memberLength()), 64 * 1024)),
            TarConstants.DEFAULT_RCDSIZE,
            StandardCharsets.UTF_8.name())) {
      TarArchiveEntry te = tar.getNextEntry();
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
      long bytes = -1;
      if (e.type() == EntryType.FILE) {
        MessageDigest md = Digests.sha256();
        byte[] buffer = new byte[64 * 1024];
        int k;
        while ((k = tar.read(buffer)) >= 0) {
          md.update(buffer, 0, k);
        }
        String sha = Digests.hex(md.digest());
        DamagedArchive.checkDigest(ref, e, sha);
        bytes = e.size();
      }
      TarArchiveEntry extra = tar.getNextEntry();
      if (extra != null) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": entry '"
                + ArchiveReader.pathOf(extra)
                + "' is not in the manifest (found in the members of '"
                + e.path()
                + "')");
      }
      return bytes;
    } catch (IOException ex) {
      throw DamagedArchive.readFailure(ref, e, ex);
    }
  }

  /** The end-of-archive member: only zeros (the two end records). */
  private static long checkEnd(
      ArchiveRef ref, Compression format, FileChannel ch, long offset, long length)
      throws IOException {
    try (InputStream in =
        format.decoding(new BufferedInputStream(new Range(ch, offset, length), 64 * 1024))) {
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
            ref, "archive " + ref.name() + " is corrupt after its last entry: " + ex.getMessage());
      }
      throw ex;
    }
  }

  private static String digestFile(FileChannel ch, long size) throws IOException {
    MessageDigest md = Digests.sha256();
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    long at = 0;
    while (at < size) {
      buf.clear();
      int k = ch.read(buf, at);
      if (k < 0) {
        break;
      }
      md.update(buf.array(), 0, k);
      at += k;
    }
    return Digests.hex(md.digest());
  }

  private static <T> T get(Future<T> f) throws IOException {
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

  /**
   * {@code length} bytes of a shared channel from {@code start}, read by position (threads share
   * it).
   */
  private static final class Range extends InputStream {
    private final FileChannel ch;
    private long at;
    private final long end;

    Range(FileChannel ch, long start, long length) {
      this.ch = ch;
      this.at = start;
      this.end = start + length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
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
}
