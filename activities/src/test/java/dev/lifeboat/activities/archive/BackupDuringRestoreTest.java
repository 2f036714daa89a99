package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken while a restore wrote into its folder was published verified and latest, holding
 * part of the tree and the restore's marker. Now the backup fails, naming the restore.
 */
class BackupDuringRestoreTest {
  @TempDir Path tmp;
  Repository repo;
  BackupResult big;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"));
    repo.lockFallback(tmp.resolve("fallback"));
    Path src = Files.createDirectories(tmp.resolve("big"));
    for (int i = 0; i < 40; i++) {
      Files.writeString(src.resolve("f" + i + ".txt"), "file " + i);
    }
    big = repo.writeFromDirectory("local", "big", src, List.of(), List.of(), null);
  }

  private BackupResult backup(Path dir) throws Exception {
    return repo.writeFromDirectory("local", "h2", dir, List.of(), List.of(), null);
  }

  /** Runs a restore of {@code big} into {@code target} that stops after its first file. */
  private void whileRestoring(Path target, boolean clean, ThrowingRunnable during)
      throws Exception {
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<RestoreResult> restore =
          pool.submit(
              () ->
                  repo.restoreToDirectory(
                      big.ref(),
                      target,
                      clean,
                      new ProgressListener() {
                        @Override
                        public void progress(long bytesDone, long bytesTotal, long filesDone) {
                          writing.countDown();
                          try {
                            release.await(30, TimeUnit.SECONDS);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                        }

                        @Override
                        public String runId() {
                          return "restore-run-7";
                        }
                      }));
      assertThat(writing.await(30, TimeUnit.SECONDS)).isTrue();
      try {
        during.run();
      } finally {
        release.countDown();
      }
      assertThat(restore.get(60, TimeUnit.SECONDS).files()).isEqualTo(40);
    } finally {
      pool.shutdownNow();
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void aBackupOfAFolderARestoreWritesIntoFailsNamingTheRestore() throws Exception {
    Path h2 = Files.createDirectories(tmp.resolve("src/h2"));
    Files.writeString(h2.resolve("old.db"), "old");
    backup(h2);
    whileRestoring(
        h2,
        true,
        () ->
            assertThatThrownBy(() -> backup(h2))
                .isInstanceOf(ActionException.class)
                .hasMessageContaining("backup of " + h2 + " refused")
                .hasMessageContaining("a restore (run restore-run-7")
                .hasMessageContaining("is writing into " + h2 + ", the folder being backed up")
                .hasMessageContaining("Back up after the restore has finished"));
    assertThat(repo.list("local", "h2")).hasSize(1);
    // once it has finished, the folder is whole again
    BackupResult after = backup(h2);
    assertThat(after.files()).isEqualTo(40);
    assertThat(repo.manifest(after.ref()).entries())
        .noneMatch(e -> e.path().contains(Restorer.MARKER));
  }

  @Test
  void aRestoreIntoAFolderInsideOrHoldingTheSourceFailsItsBackupToo() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path h2 = Files.createDirectories(src.resolve("h2"));
    Files.writeString(src.resolve("notes.txt"), "notes");
    Path inner = src.resolve("h2/db");
    whileRestoring(
        inner,
        false,
        () -> {
          assertThatThrownBy(() -> backup(src))
              .hasMessageContaining("is writing into " + inner + ", inside the folder being");
          Files.createDirectories(inner.resolve("nested"));
          Files.writeString(inner.resolve("nested/x"), "x");
          assertThatThrownBy(() -> backup(inner.resolve("nested")))
              .hasMessageContaining("is writing into " + inner + ", which holds the folder");
        });
    assertThat(backup(h2).files()).isEqualTo(41);
  }

  @Test
  void aRestoreThatStartsAndEndsWhileTheBackupReadsIsSeenBeforePublishing() throws Exception {
    Path h2 = Files.createDirectories(tmp.resolve("src/h2"));
    // a name the restore brings back: the backup reads the restored file, not the scanned one
    Files.writeString(h2.resolve("f0.txt"), "old");
    // after the scan, before any file is read: a whole clean restore runs into the folder
    repo.onLockedWrite(
        () -> {
          try {
            repo.onLockedWrite(() -> {});
            repo.restoreToDirectory(big.ref(), h2, true, ProgressListener.NONE);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    assertThatThrownBy(() -> backup(h2))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("backup of " + h2 + " not kept: a restore into " + h2)
        .hasMessageContaining("started while the backup read the folder");
    assertThat(repo.list("local", "h2")).isEmpty();
    try (var s = Files.list(repo.root().resolve("local/h2"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly(".lock");
    }
    assertThat(backup(h2).files()).isEqualTo(40);
  }

  @Test
  void aTreeHoldingAnInterruptedRestoreIsRefused() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path h2 = Files.createDirectories(src.resolve("h2"));
    Files.writeString(h2.resolve("half.db"), "half");
    // what a kill -9 in a restore leaves: its marker, and the token recorded beside its lock
    String token = "5".repeat(32);
    Path entry = repo.restoreTargetDir(h2);
    Files.createDirectories(entry);
    Files.writeString(entry.resolve(RestoreTargets.TARGET), "1".repeat(32) + "\n" + h2 + "\n");
    Files.writeString(entry.resolve(Restorer.RECORD), token + "\n");
    Files.writeString(h2.resolve(Restorer.MARKER + token), Restorer.MARKER_TEXT);
    Files.createDirectories(h2.resolve("sub"));
    Files.writeString(h2.resolve("sub/part.db"), "part");

    assertThatThrownBy(() -> backup(h2.resolve("sub")))
        .hasMessageContaining("a restore into " + h2 + ", which holds the folder")
        .hasMessageContaining("was interrupted (its marker " + h2.resolve(Restorer.MARKER + token))
        .hasMessageContaining("Run the restore again to finish it");
    // a marker no registry here knows of (another repository's restore) is found by the scan
    Files.delete(entry.resolve(Restorer.RECORD));
    assertThatThrownBy(() -> backup(src))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            h2.resolve(Restorer.MARKER + token) + " is the marker of a restore into " + h2)
        .hasMessageContaining("no complete copy");
    assertThat(repo.list("local", "h2")).isEmpty();
    // a file of that name holding something else is the user's
    Files.writeString(h2.resolve(Restorer.MARKER + token), "mine");
    assertThat(backup(src).files()).isEqualTo(3);
  }
}
