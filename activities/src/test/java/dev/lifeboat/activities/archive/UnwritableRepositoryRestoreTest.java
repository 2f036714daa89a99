package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore from a repository on a full or read-only disk: it only reads the repository, so its
 * locks go to {@link Repository#lockFallback} and it restores; a backup there still fails, naming
 * the disk.
 */
class UnwritableRepositoryRestoreTest {
  @TempDir Path tmp;
  Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString())
          .inheritIO()
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A restore as the restore action runs it: the source's lock, then the target's. */
  private static RestoreResult restore(
      Repository repo, ArchiveRef ref, Path target, boolean clean, List<String> messages)
      throws Exception {
    ProgressListener l = Fixtures.collecting(messages);
    try (SourceLock lock = repo.lockArchive(ref, "run-9", l)) {
      return repo.restoreToDirectory(ref, target, clean, l);
    }
  }

  @Test
  void aReadOnlyRepositoryIsRestoredFromWithItsLocksElsewhere() throws Exception {
    Path disk = mountTmpfs("disk", "size=8m");
    Path src = Files.createDirectories(tmp.resolve("d1"));
    Files.writeString(src.resolve("a.txt"), "a");
    Files.writeString(src.resolve("b.txt"), "b");
    Repository repo = new Repository(disk.resolve("repo"));
    Path fallback = tmp.resolve("run/locks");
    repo.lockFallback(fallback);
    BackupResult b = repo.writeFromDirectory("local", "d1", src, List.of(), List.of(), null);
    remount(disk, "ro");

    List<String> messages = new ArrayList<>();
    Path target = tmp.resolve("restored");
    assertThat(restore(repo, b.ref(), target, false, messages).files()).isEqualTo(2);
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(src));
    assertThat(messages)
        .anyMatch(
            m ->
                m.startsWith("the backup repository " + repo.root() + " is read-only: the lock of")
                    && m.contains(" is kept in " + fallback));
    // a clean restore verifies first; that it is not recorded is said, not a failure
    Files.writeString(target.resolve("a.txt"), "changed");
    messages.clear();
    restore(repo, b.ref(), target, true, messages);
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(src));
    assertThat(messages).anyMatch(m -> m.contains("verified, but not recorded as verified"));

    // two restores into one folder in this worker still queue, on the locks kept elsewhere
    ProgressListener first = Fixtures.collecting(new ArrayList<>());
    try (SourceLock held = repo.lockRestoreTarget(Restorer.realish(target), first)) {
      assertThat(held.dir()).startsWith(fallback);
      List<String> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.ExecutorService other =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        java.util.concurrent.Future<SourceLock> second =
            other.submit(
                () ->
                    repo.lockRestoreTarget(
                        Restorer.realish(target),
                        new ProgressListener() {
                          @Override
                          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

                          @Override
                          public void message(String text) {
                            waiting.add(text);
                          }

                          @Override
                          public void checkCancelled() {
                            if (waiting.stream().anyMatch(m -> m.startsWith("waiting for"))) {
                              throw ActionException.check("cancelled");
                            }
                          }
                        }));
        assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
            .hasMessageContaining("cancelled");
      } finally {
        other.shutdownNow();
      }
      assertThat(waiting)
          .anyMatch(m -> m.startsWith("waiting for the restore target " + target + ": held by"));
    }

    // a backup must write: it fails once, naming the disk
    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "d1", src, List.of(), List.of(), null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("the backup repository " + repo.root() + " is read-only")
        .hasMessageContaining("mount it writable");
  }

  @Test
  void aFullRepositoryIsRestoredFrom() throws Exception {
    Path disk = mountTmpfs("disk", "size=4m");
    Path src = Files.createDirectories(tmp.resolve("d1"));
    Files.writeString(src.resolve("a.txt"), "a");
    Repository repo = new Repository(disk.resolve("repo"));
    Path fallback = tmp.resolve("run/locks");
    repo.lockFallback(fallback);
    BackupResult b = repo.writeFromDirectory("local", "d1", src, List.of(), List.of(), null);
    fill(disk.resolve("filler"));

    List<String> messages = new ArrayList<>();
    Path target = tmp.resolve("restored");
    assertThat(restore(repo, b.ref(), target, false, messages).files()).isEqualTo(1);
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(src));
    assertThat(messages)
        .anyMatch(
            m ->
                m.startsWith("the backup repository " + repo.root() + " is full: the lock of")
                    && m.contains(" is kept in " + fallback));
    // nothing of the restore is left in the fallback but its lock and registration
    assertThat(Files.list(fallback.resolve(".restore-targets")).toList()).hasSize(1);
  }

  private static void fill(Path file) throws Exception {
    byte[] block = new byte[64 * 1024];
    try (var out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (java.io.IOException e) {
      assertThat(RepositoryFiles.isDiskFull(e)).as(e.toString()).isTrue();
    }
  }

  private void remount(Path dir, String option) throws Exception {
    Process p =
        new ProcessBuilder("mount", "-o", "remount," + option, dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
  }

  private Path mountTmpfs(String name, String options) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(
        mounted, "cannot mount a tmpfs (" + options + ") here (needs root): " + out.strip());
    mount = dir;
    return dir;
  }
}
