package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One restore at a time into a folder, into a folder inside it and into one above it: a clean
 * restore of {@code rest8} emptied {@code rest8/small} while another restore wrote there, and both
 * succeeded. Each running restore holds its folder's lock ({@link Repository#lockRestoreTarget})
 * and has recorded beside it which folder that is. A restore starts under the lock of {@code
 * .restore-targets} itself, held only while it looks for a running restore whose folder is, holds
 * or lies in its own and, finding none, takes its folder's lock and records it: two restores cannot
 * both look and both start. Finding one, it lets go and waits for it.
 */
final class RestoreTargets {
  /** The record, in a target's folder of the repository, of the run and the folder. */
  static final String RECORD = "target";

  private static final long POLL_MILLIS = 200;

  private RestoreTargets() {}

  /** The lock of restore target {@code key} (a real path), once no overlapping restore runs. */
  static SourceLock lock(Repository repository, Path key, ProgressListener listener)
      throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    Path own = repository.restoreTargetDir(key);
    Path all = own.getParent();
    repository.createPrivateDirectories(all);
    String told = null;
    while (true) {
      l.checkCancelled();
      Optional<SourceLock> looking = SourceLock.tryAcquire(all, l.runId(), POLL_MILLIS);
      if (looking.isPresent()) {
        try (SourceLock held = looking.get()) {
          String busy = running(all, key);
          if (busy == null) {
            SourceLock lock = repository.lockRestoreTarget(key, l);
            try {
              RepositoryFiles.writeAtomically(
                  own.resolve(RECORD),
                  ("run "
                          + (l.runId() == null ? "-" : l.runId())
                          + "\npid "
                          + ProcessHandle.current().pid()
                          + "\n"
                          + key)
                      .getBytes(StandardCharsets.UTF_8));
              return lock;
            } catch (IOException | RuntimeException e) {
              lock.close();
              throw e;
            }
          }
          if (!busy.equals(told)) {
            l.message("waiting for " + busy);
            told = busy;
          }
        }
      }
      try {
        // another process's restore ends without a wake-up here: poll
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the restore target " + key);
      }
    }
  }

  /**
   * The running restore whose folder is, holds or lies in {@code key}, as "the restore target
   * <folder>...: held by run <id> (pid <pid>)"; null if none. Called holding the lock of {@code
   * all}.
   */
  private static String running(Path all, Path key) throws IOException {
    try (Stream<Path> dirs = Files.list(all)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Path record = dir.resolve(RECORD);
        if (!Files.isRegularFile(record, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        String[] lines = Files.readString(record, StandardCharsets.UTF_8).split("\n", 3);
        if (lines.length < 3) {
          continue;
        }
        Path other = Path.of(lines[2]);
        if (!other.startsWith(key) && !key.startsWith(other)) {
          continue;
        }
        Optional<SourceLock> free = SourceLock.tryAcquire(dir, null, 0);
        if (free.isPresent()) {
          free.get().close();
          continue;
        }
        return "the restore target "
            + other
            + (other.equals(key)
                ? ""
                : other.startsWith(key) ? ", inside " + key : ", which holds " + key)
            + ": held by "
            + lines[0]
            + " ("
            + lines[1]
            + ")";
      }
    }
    return null;
  }
}
