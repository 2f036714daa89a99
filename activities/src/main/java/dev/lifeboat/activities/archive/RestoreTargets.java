package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The registry of restores, {@code .restore-targets/<hash of the folder>/} (in the repository, or
 * where a restore took its locks when the repository could not be written): the restore's lock, the
 * record of its marker ({@link Restorer#RECORD}) and {@value #TARGET}, a token new for each restore
 * and the folder's path, written as soon as the lock is held, before the folder is touched.
 *
 * <p>Backups read it: a tree a restore is writing into (or left half-written) is no copy of
 * anything, yet a backup of it finished, was verified and became {@code latest}. A backup of a
 * folder is refused while a restore runs into it, a folder inside it or one holding it, when such a
 * restore was interrupted, and, checked again after every file was read, when such a restore
 * started meanwhile (its token changed): a restore touches the folder only after writing its token,
 * so one the last check misses wrote nothing the archive holds.
 */
final class RestoreTargets {
  static final String DIR = ".restore-targets";
  static final String TARGET = "target";

  private static final java.security.SecureRandom TOKENS = new java.security.SecureRandom();

  private static final long POLL_MILLIS = 200;

  private RestoreTargets() {}

  /**
   * The lock of restore target {@code key} (a real path), registered, once no restore into a folder
   * that is, holds or lies in it runs: a clean restore of {@code rest8} emptied {@code rest8/small}
   * while another restore wrote there, and both succeeded. A restore looks for such a restore under
   * the lock of the registry itself ({@code .restore-targets/.lock}, where the repository cannot be
   * written in the lock fallback) and, finding none, takes its folder's lock and registers before
   * letting go: two restores cannot both look and both start. Finding one, it waits for it.
   */
  static SourceLock lock(Repository repository, Path key, ProgressListener listener)
      throws IOException {
    ProgressListener l = listener == null ? ProgressListener.NONE : listener;
    String told = null;
    while (true) {
      l.checkCancelled();
      Optional<SourceLock> looking = looking(repository, l);
      if (looking.isPresent()) {
        try (SourceLock held = looking.get()) {
          String busy = running(repository.registryRoots(), key);
          if (busy == null) {
            return repository.lockRestoreTarget(key, l);
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
        throw new java.io.InterruptedIOException(
            "interrupted while waiting for the restore target " + key);
      }
    }
  }

  /** The registry's own lock, if free within a poll: in the repository, or in the fallback. */
  private static Optional<SourceLock> looking(Repository repository, ProgressListener l)
      throws IOException {
    Path registry = repository.root().resolve(DIR);
    try {
      repository.createPrivateDirectories(registry);
      return SourceLock.tryAcquire(registry, l.runId(), POLL_MILLIS);
    } catch (IOException | ActionException e) {
      if (RepositoryFiles.unwritable(registry, e) == null) {
        throw e;
      }
      Path elsewhere = repository.lockFallbackDir().resolve(DIR);
      RepositoryFiles.createPrivateDirectories(repository.lockFallbackDir(), elsewhere);
      return SourceLock.tryAcquire(elsewhere, l.runId(), POLL_MILLIS);
    }
  }

  /**
   * The running restore whose folder is, holds or lies in {@code key}, as "the restore target
   * <folder>...: held by run <id> (pid <pid>)"; null if none.
   */
  private static String running(List<Path> registryRoots, Path key) throws IOException {
    for (Path entry : entries(registryRoots)) {
      Path other = targetOf(read(entry.resolve(TARGET)));
      if (other == null || !other.startsWith(key) && !key.startsWith(other)) {
        continue;
      }
      Optional<String> holder = SourceLock.heldBy(entry);
      if (holder.isEmpty()) {
        continue;
      }
      return "the restore target "
          + other
          + (other.equals(key)
              ? ""
              : other.startsWith(key) ? ", inside " + key : ", which holds " + key)
          + ": held by "
          + holder.get();
    }
    return null;
  }

  /** Every entry of the registries (a folder per restore target). */
  private static List<Path> entries(List<Path> registryRoots) throws IOException {
    List<Path> all = new java.util.ArrayList<>();
    for (Path registryRoot : registryRoots) {
      Path registry = registryRoot.resolve(DIR);
      if (!Files.isDirectory(registry, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (Stream<Path> s = Files.list(registry)) {
        s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(all::add);
      }
    }
    return all;
  }

  /**
   * The folder a record ({@code <token>\n<folder>\n}) names; null for none (a restore between its
   * lock and its record has not touched the folder yet).
   */
  private static Path targetOf(String text) {
    int nl = text == null ? -1 : text.indexOf('\n');
    if (nl < 0 || !text.endsWith("\n")) {
      return null;
    }
    return Path.of(text.substring(nl + 1, text.length() - 1));
  }

  /** A registry's folder for one restore target. */
  static Path entry(Path registryRoot, Path folder) {
    byte[] name = folder.toString().getBytes(StandardCharsets.UTF_8);
    return registryRoot
        .resolve(DIR)
        .resolve(Digests.hex(Digests.sha256().digest(name)).substring(0, 32));
  }

  /** Records, under the target's lock held in {@code entry}, that a restore into it starts. */
  static void register(Path entry, Path folder) throws IOException {
    byte[] random = new byte[16];
    TOKENS.nextBytes(random);
    RepositoryFiles.writeAtomically(
        entry.resolve(TARGET),
        (Digests.hex(random) + "\n" + folder + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Refuses a backup of {@code source} while a restore runs into it, into a folder inside it or
   * into one holding it, or such a restore was interrupted; with {@code before} (what this answered
   * when the backup started), also when such a restore started since. Answers the registries'
   * entries for those folders as they are now.
   */
  static Map<Path, String> checkBackup(
      List<Path> registryRoots, Path source, Map<Path, String> before) throws IOException {
    Path real = Restorer.realish(source);
    Map<Path, String> now = new HashMap<>();
    for (Path entry : entries(registryRoots)) {
      String text = read(entry.resolve(TARGET));
      Path target = targetOf(text);
      if (target == null || !target.startsWith(real) && !real.startsWith(target)) {
        continue;
      }
      now.put(entry, text);
      String where =
          target.equals(real)
              ? target + ", the folder being backed up"
              : target.startsWith(real)
                  ? target + ", inside the folder being backed up"
                  : target + ", which holds the folder being backed up";
      Optional<String> holder = SourceLock.heldBy(entry);
      if (holder.isPresent()) {
        throw ActionException.check(
            "backup of "
                + source
                + " refused: a restore ("
                + holder.get()
                + ") is writing into "
                + where
                + "; the folder is no complete copy until it ends. Back up after the restore"
                + " has finished");
      }
      String marker = interruptedMarker(entry, target);
      if (marker != null) {
        throw ActionException.check(
            "backup of "
                + source
                + " refused: a restore into "
                + where
                + " was interrupted (its marker "
                + marker
                + " is there), so the folder is no complete copy. Run the restore again to"
                + " finish it, then back up");
      }
      if (before != null && !text.equals(before.get(entry))) {
        throw ActionException.check(
            "backup of "
                + source
                + " not kept: a restore into "
                + where
                + " started while the backup read the folder, so the archive would hold part of"
                + " the old tree and part of the restored one. Back up again once the restore"
                + " has finished");
      }
    }
    return now;
  }

  /**
   * A file the scan found named as a restore's marker and saying what Lifeboat's markers say: the
   * folder it lies in holds a restore that has not finished (from any repository). One named so
   * with other content is the user's. Asked for every file a backup found, before any is read: the
   * name is taken from the archive's path (a marker's name is ASCII, so it is the file's own), and
   * a path is built only for a file named so.
   */
  static void checkMarker(Path source, SourceScan.Found found) {
    String rel = found.item().path();
    int name = rel.lastIndexOf('/') + 1;
    if (!rel.startsWith(Restorer.MARKER, name)
        || !rel.substring(name + Restorer.MARKER.length()).matches("[0-9a-f]{32}")) {
      return;
    }
    Path file = found.file();
    String text = read(file);
    if (text != null && text.startsWith(Restorer.MARKER_TEXT)) {
      throw ActionException.check(
          "backup of "
              + source
              + " refused: "
              + file
              + " is the marker of a restore into "
              + file.getParent()
              + " that has not finished (still running, or interrupted), so the folder is no"
              + " complete copy. Let the restore finish or run it again, then back up");
    }
  }

  /** The marker a record in {@code entry} names and {@code target} holds: a restore cut short. */
  private static String interruptedMarker(Path entry, Path target) {
    String token = read(entry.resolve(Restorer.RECORD));
    if (token == null || !token.trim().matches("[0-9a-f]{32}")) {
      return null;
    }
    Path marker = target.resolve(Restorer.MARKER + token.trim());
    return Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS) ? marker.toString() : null;
  }

  /** A small file's text; null when it is missing, unreadable or too large to be one of ours. */
  private static String read(Path file) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > 8192) {
        return null;
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
