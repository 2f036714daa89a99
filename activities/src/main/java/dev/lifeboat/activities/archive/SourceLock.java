package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One writer per set/source: backups, prunes, verifies and restores of one source queue behind
 * {@code <repository>/<set>/<source>/.lock}. The OS lock (POSIX, so API and worker processes
 * exclude each other) cannot exclude threads of one JVM, hence the in-JVM lock in front of it.
 * Reentrant on one thread (a restore that holds the lock may verify). The file names the holder's
 * run id and pid; it is not deleted (deleting a lock file lets two holders lock two different
 * inodes), except by its holder with a source folder it holds alone ({@link
 * Repository#removeUnusedSource}), which writes nothing after.
 */
public final class SourceLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<Path, String> HOLDERS = new ConcurrentHashMap<>();
  private static final long POLL_MILLIS = 200;

  private final Path file;
  private final ReentrantLock jvm;
  private final FileChannel channel;
  private final FileLock lock;
  private boolean closed;

  /**
   * The lock taken elsewhere when the repository's could not be written; see {@link
   * #acquireReading}.
   */
  private SourceLock elsewhere;

  private SourceLock(Path file, ReentrantLock jvm, FileChannel channel, FileLock lock) {
    this.file = file;
    this.jvm = jvm;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Waits (without deadline) until this caller holds the lock of {@code dir}; tells {@code
   * listener} once who it waits for, and stops waiting when the listener says the run was
   * cancelled.
   */
  static SourceLock acquire(Path dir, String label, String owner, ProgressListener listener)
      throws IOException {
    return acquire(dir, label, owner, listener, false);
  }

  /**
   * For a reader (a restore) that could not write the lock in the repository (a full or read-only
   * disk): a shared OS lock on {@code dir}'s lock file, if it exists, opened read-only, which still
   * keeps out a backup or prune of another process that can write there (and the in-JVM lock keeps
   * out this one's); and the lock of {@code elsewhere}, written there, so that two readers of one
   * worker exclude each other. {@link #dir} is then {@code elsewhere}: records kept beside the lock
   * go there.
   */
  static SourceLock acquireReading(
      Path dir, Path elsewhere, String label, String owner, ProgressListener listener)
      throws IOException {
    SourceLock shared = acquire(dir, label, owner, listener, true);
    try {
      shared.elsewhere = acquire(elsewhere, label, owner, listener, false);
      return shared;
    } catch (IOException | RuntimeException e) {
      shared.close();
      throw e;
    }
  }

  /**
   * Who holds the lock of {@code dir} now, asked without waiting and without writing (a shared
   * lock, taken and let go): empty when nobody does.
   */
  static Optional<String> heldBy(Path dir) throws IOException {
    Attempt a = attempt(dir, null, 0, true);
    if (a.lock() == null) {
      return Optional.of(a.holder());
    }
    a.lock().close();
    return Optional.empty();
  }

  /** The folder whose lock file this lock holds, or holds elsewhere; null for {@link #none}. */
  Path dir() {
    return elsewhere != null ? elsewhere.dir() : file == null ? null : file.getParent();
  }

  private static SourceLock acquire(
      Path dir, String label, String owner, ProgressListener listener, boolean shared)
      throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    boolean told = false;
    while (true) {
      l.checkCancelled();
      Attempt a = attempt(dir, owner, POLL_MILLIS, shared);
      if (a.lock() != null) {
        if (told) {
          // the waiting message would otherwise stay the step's last word, also once it ended
          l.message(label + " is free: going on");
        }
        return a.lock();
      }
      if (!told) {
        l.message("waiting for " + label + ": held by " + a.holder());
        told = true;
      }
      if (a.otherProcess()) {
        try {
          // the OS lock offers no wake-up across processes: poll
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for " + label);
        }
      }
    }
  }

  /**
   * A lock that holds nothing, for archives outside the repository (no writer there to exclude).
   */
  static SourceLock none() {
    return new SourceLock(null, null, null, null);
  }

  /** The lock if it is free now (or within {@code waitMillis} when only this JVM holds it). */
  static Optional<SourceLock> tryAcquire(Path dir, String owner, long waitMillis)
      throws IOException {
    return Optional.ofNullable(attempt(dir, owner, waitMillis, false).lock());
  }

  /** Either the lock, or who holds it. */
  private record Attempt(SourceLock lock, String holder, boolean otherProcess) {}

  /**
   * {@code shared}: a read lock through a read-only descriptor of the file if it exists (nothing is
   * written); otherwise the write lock, the file made if missing and naming its holder.
   */
  private static Attempt attempt(Path dir, String owner, long waitMillis, boolean shared)
      throws IOException {
    Path file = dir.resolve(ArchiveNames.LOCK).toAbsolutePath().normalize();
    ReentrantLock jvm = IN_JVM.computeIfAbsent(file, k -> new ReentrantLock());
    try {
      if (!jvm.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
        return new Attempt(
            null, "run " + HOLDERS.getOrDefault(file, "?") + " (this process)", false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for " + file);
    }
    if (jvm.getHoldCount() > 1) {
      return new Attempt(new SourceLock(file, jvm, null, null), null, false);
    }
    // Only the in-JVM holder ever opens the file: closing any descriptor of a file drops this
    // process's
    // POSIX locks on it, so a waiting thread must not read it while another thread holds the lock.
    FileChannel ch = null;
    String who = owner == null ? "-" : owner;
    try {
      if (shared && !Files.exists(file)) {
        HOLDERS.put(file, who);
        return new Attempt(new SourceLock(file, jvm, null, null), null, false);
      }
      ch =
          shared
              ? FileChannel.open(file, StandardOpenOption.READ)
              : FileChannel.open(
                  file,
                  Set.of(
                      StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                  PosixFilePermissions.asFileAttribute(RepositoryFiles.FILE_MODE));
      FileLock fl = ch.tryLock(0, Long.MAX_VALUE, shared);
      if (fl == null) {
        String holder = describe(ch);
        ch.close();
        jvm.unlock();
        return new Attempt(null, holder, true);
      }
      if (shared) {
        // nothing is written through a read-only descriptor
        HOLDERS.put(file, who);
        return new Attempt(new SourceLock(file, jvm, ch, fl), null, false);
      }
      if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        // its holder removed the folder (a failed first fetch) after this opened the file: the
        // lock of an unlinked file excludes no one who makes the folder again
        fl.release();
        throw new NoSuchFileException(file.toString(), null, "removed while this run waited");
      }
      try {
        ch.truncate(0);
        ch.write(
            ByteBuffer.wrap(
                ("run " + who + "\npid " + ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.UTF_8)),
            0);
      } catch (IOException e) {
        // on a full disk the lock still holds, without its holder's name: a prune that would
        // free space must not fail here
        if (!RepositoryFiles.isDiskFull(e)) {
          throw e;
        }
      }
      HOLDERS.put(file, who);
      return new Attempt(new SourceLock(file, jvm, ch, fl), null, false);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      jvm.unlock();
      throw e;
    }
  }

  /** Who holds the lock, as its file says: {@code run <id> (pid <pid>)}. */
  private static String describe(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(512);
    ch.read(buf, 0);
    String[] lines = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n");
    String run = lines.length > 0 && lines[0].startsWith("run ") ? lines[0].substring(4) : "?";
    String pid = lines.length > 1 && lines[1].startsWith("pid ") ? lines[1].substring(4) : "?";
    return "run " + run + " (pid " + pid + ")";
  }

  /**
   * Whether this holds the lock of {@code lockFile} itself: not the lock that holds nothing, nor a
   * reentrant hold inside another (whose holder may still write there).
   */
  boolean holds(Path lockFile) {
    return !closed
        && channel != null
        && jvm.isHeldByCurrentThread()
        && jvm.getHoldCount() == 1
        && lockFile.equals(file);
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (jvm == null) {
      return;
    }
    try {
      if (elsewhere != null) {
        elsewhere.close();
      }
    } finally {
      try {
        if (jvm.getHoldCount() == 1) {
          HOLDERS.remove(file);
        }
        if (channel != null) {
          lock.release();
          channel.close();
        }
      } finally {
        jvm.unlock();
      }
    }
  }
}
