package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per set/source, queued; different sources in parallel; leftovers of dead writers
 * removed.
 */
class SourceLockTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));
  Repository repo;
  Path src;
  ExecutorService pool = Executors.newFixedThreadPool(6);

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  @Test
  void twoBackupsOfOneSourceQueueAndBothSucceed() throws Exception {
    CountDownLatch secondIsWaiting = new CountDownLatch(1);
    AtomicInteger inside = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger entered = new AtomicInteger();
    repo.onLockedWrite(
        () -> {
          most.accumulateAndGet(inside.incrementAndGet(), Math::max);
          try {
            // the first writer stays inside until the second has said it waits for it
            if (entered.incrementAndGet() == 1 && !secondIsWaiting.await(60, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the second backup never queued");
            }
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          } finally {
            inside.decrementAndGet();
          }
        });
    List<String> messages = new CopyOnWriteArrayList<>();
    Future<BackupResult> first =
        pool.submit(
            () ->
                repo.writeFromDirectory(
                    "local", "src", src, List.of(), List.of(), listener("run-1", messages, null)));
    // the second starts once the first holds the lock
    waitFor(() -> entered.get() == 1);
    Future<BackupResult> second =
        pool.submit(
            () ->
                repo.writeFromDirectory(
                    "local",
                    "src",
                    src,
                    List.of(),
                    List.of(),
                    listener("run-2", messages, secondIsWaiting)));
    BackupResult a = first.get(60, TimeUnit.SECONDS);
    BackupResult b = second.get(60, TimeUnit.SECONDS);
    assertThat(most.get()).as("never two writers inside").isEqualTo(1);
    assertThat(messages).anyMatch(m -> m.startsWith("waiting for local/src: held by run run-1"));
    // a step that waited does not keep saying so once it goes on
    assertThat(
            messages.subList(
                messages.indexOf(
                    messages.stream()
                        .filter(m -> m.startsWith("waiting for"))
                        .findFirst()
                        .orElseThrow()),
                messages.size()))
        .contains("local/src is free: going on");
    assertThat(a.ref().name()).isNotEqualTo(b.ref().name());
    try (Stream<Path> files = Files.list(tmp.resolve("repo/local/src"))) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly(
              ".lock",
              // the newest manifest's binary copy
              ".manifest-cache",
              a.ref().stem() + ".manifest.json",
              a.ref().stem() + ".state.json",
              a.ref().name(),
              b.ref().stem() + ".manifest.json",
              b.ref().stem() + ".state.json",
              b.ref().name(),
              "latest");
    }
  }

  @Test
  void fiveSourcesBackUpAtTheSameTime() throws Exception {
    // every writer waits inside its lock until all five are inside: only possible if they overlap
    CyclicBarrier allInside = new CyclicBarrier(5);
    repo.onLockedWrite(
        () -> {
          try {
            allInside.await(60, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new IllegalStateException("the five sources did not run at the same time", e);
          }
        });
    List<Future<BackupResult>> runs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String source = "src" + i;
      runs.add(
          pool.submit(
              () -> repo.writeFromDirectory("local", source, src, List.of(), List.of(), null)));
    }
    for (Future<BackupResult> f : runs) {
      assertThat(f.get(90, TimeUnit.SECONDS).files()).isEqualTo(1);
    }
    assertThat(repo.list("local", null)).hasSize(5);
  }

  @Test
  void aLockHeldByAnotherProcessQueuesTheBackupAndNamesTheHolder() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("repo/local/src"));
    Path lockFile = dir.resolve(".lock");
    // python's lockf is a POSIX (fcntl) lock, the kind FileChannel.lock takes: they exclude each
    // other
    Process holder =
        new ProcessBuilder(
                "python3",
                "-c",
                String.join(
                    "\n",
                    "import fcntl, os, sys",
                    "f = open(sys.argv[1], 'a+')",
                    "fcntl.lockf(f, fcntl.LOCK_EX)",
                    "f.truncate(0); f.write('run other-run\\npid %d\\n' % os.getpid()); f.flush()",
                    "print('locked', flush=True)",
                    "sys.stdin.read()"),
                lockFile.toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");
      assertThat(repo.cleanLeftovers()).as("a busy source is skipped").isEmpty();
      CountDownLatch waiting = new CountDownLatch(1);
      List<String> messages = new CopyOnWriteArrayList<>();
      Future<BackupResult> backup =
          pool.submit(
              () ->
                  repo.writeFromDirectory(
                      "local",
                      "src",
                      src,
                      List.of(),
                      List.of(),
                      listener("mine", messages, waiting)));
      assertThat(waiting.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(messages.get(0))
          .isEqualTo("waiting for local/src: held by run other-run (pid " + holder.pid() + ")");
      assertThat(backup).isNotDone();
      holder.getOutputStream().close(); // the holder exits, the OS drops its lock
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(backup.get(60, TimeUnit.SECONDS).files()).isEqualTo(1);
      assertThat(Files.readString(lockFile))
          .startsWith("run mine\npid " + ProcessHandle.current().pid());
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void aBackupThatWaitedForAFailedFirstFetchMakesTheRemovedFolderAgain() throws Exception {
    CountDownLatch waiting = new CountDownLatch(1);
    ProgressListener told =
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

          @Override
          public void message(String text) {
            waiting.countDown();
          }
        };
    Future<BackupResult> backup;
    try (SourceLock held = repo.lockSource("local", "new", "fetch-run", null)) {
      backup =
          pool.submit(
              () -> repo.writeFromDirectory("local", "new", src, List.of(), List.of(), told));
      assertThat(waiting.await(30, TimeUnit.SECONDS)).isTrue();
      // the fetch failed: its folder held only the lock, and goes
      assertThat(repo.removeUnusedSource("local", "new", held)).isTrue();
      assertThat(tmp.resolve("repo/local/new")).doesNotExist();
    }
    assertThat(backup.get(60, TimeUnit.SECONDS).files()).isEqualTo(1);
    assertThat(repo.list("local", "new")).hasSize(1);
    // a folder with an archive in it is never removed; nor without its lock held
    try (SourceLock held = repo.lockSource("local", "new", "fetch-run", null)) {
      assertThat(repo.removeUnusedSource("local", "new", held)).isFalse();
    }
    SourceLock closed = repo.lockSource("local", "new", "fetch-run", null);
    closed.close();
    assertThatThrownBy(() -> repo.removeUnusedSource("local", "new", closed))
        .isInstanceOf(IllegalStateException.class);
    assertThat(repo.list("local", "new")).hasSize(1);
  }

  @Test
  void aCancelledRunStopsWaiting() throws Exception {
    try (SourceLock held = repo.lockSource("local", "src", "run-1", null)) {
      CountDownLatch waiting = new CountDownLatch(1);
      ProgressListener cancelledOnceWaiting =
          new ProgressListener() {
            @Override
            public void progress(long bytesDone, long bytesTotal, long filesDone) {}

            @Override
            public void message(String text) {
              waiting.countDown();
            }

            @Override
            public void checkCancelled() {
              if (waiting.getCount() == 0) {
                throw new CancellationException("cancelled");
              }
            }
          };
      Future<?> prune =
          pool.submit(
              () -> repo.prune("local", "src", RetentionPolicy.keepLast(1), cancelledOnceWaiting));
      assertThatThrownBy(() -> prune.get(60, TimeUnit.SECONDS))
          .hasCauseInstanceOf(CancellationException.class);
      assertThat(waiting.getCount()).isZero();
    }
  }

  @Test
  void leftoversOfADeadWriterAreRemovedBeforeTheNextWriteAndAtStart() throws Exception {
    repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    Path dir = tmp.resolve("repo/local/src");
    // what kill -9 leaves: a half-written archive, and the manifest written beside it before the
    // archive was renamed into place
    Files.writeString(dir.resolve(".20261101T000000Z.tar.gz.partial"), "half");
    Files.writeString(dir.resolve("20261101T000000Z.manifest.json"), "{}");
    Files.writeString(dir.resolve(".latest.partial"), "x");
    clock.set(Instant.parse("2026-11-23T00:00:00Z"));
    BackupResult b = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(b.cleaned())
        .containsExactlyInAnyOrder(
            ".20261101T000000Z.tar.gz.partial",
            "20261101T000000Z.manifest.json",
            ".latest.partial");
    assertThat(dir.resolve(".20261101T000000Z.tar.gz.partial")).doesNotExist();
    assertThat(dir.resolve("20261101T000000Z.manifest.json")).doesNotExist();

    Path other = Files.createDirectories(tmp.resolve("repo/tier2/shared"));
    Files.writeString(other.resolve(".20261101T000000Z.tar.gz.partial"), "half");
    assertThat(repo.cleanLeftovers())
        .containsExactly("tier2/shared/.20261101T000000Z.tar.gz.partial");
    assertThat(repo.list(null, null)).hasSize(2);
  }

  @Test
  void repositoryFilesAreTheOwnersOnly() throws Exception {
    BackupResult b = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    repo.verify(b.ref(), null);
    for (Path f :
        List.of(
            b.ref().path(),
            b.ref().manifestPath(),
            b.ref().statePath(),
            tmp.resolve("repo/local/src/latest"),
            tmp.resolve("repo/local/src/.lock"))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
          .as(f.toString())
          .isEqualTo("rw-------");
    }
    for (Path d :
        List.of(tmp.resolve("repo"), tmp.resolve("repo/local"), tmp.resolve("repo/local/src"))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
          .as(d.toString())
          .isEqualTo("rwx------");
    }
  }

  private static ProgressListener listener(
      String run, List<String> messages, CountDownLatch onMessage) {
    return new ProgressListener() {
      @Override
      public void progress(long bytesDone, long bytesTotal, long filesDone) {}

      @Override
      public void message(String text) {
        messages.add(text);
        if (onMessage != null) {
          onMessage.countDown();
        }
      }

      @Override
      public String runId() {
        return run;
      }
    };
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 60 s");
      }
      Thread.sleep(10);
    }
  }
}
