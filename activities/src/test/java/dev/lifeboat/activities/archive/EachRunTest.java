package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How verify and restore hand an archive's runs to their threads: a long run does not keep the
 * others without work, every run is counted, and the first failure in entry order is the one thrown
 * whatever order the runs end in.
 */
class EachRunTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** One file entry a run: each at members of its own. */
  private static List<Entry> entries(int n) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new Entry(
              "f" + i, EntryType.FILE, "0644", Instant.EPOCH, 10, null, null, 0, i * 100L, 100));
    }
    return out;
  }

  @Test
  void aLongRunAtTheHeadDoesNotStopTheOthers() {
    // one thread's window is 4 runs: the first run ends only once the seventh has started, which
    // a reader that waits for the oldest run never lets happen
    CountDownLatch seventh = new CountDownLatch(1);
    AtomicLong bytes = new AtomicLong();
    ProgressListener counting = (done, total, files) -> bytes.set(done);
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () ->
            Checker.eachRun(
                pool,
                1,
                entries(12),
                (start, end) -> {
                  if (start == 0) {
                    try {
                      seventh.await();
                    } catch (InterruptedException e) {
                      throw new java.io.InterruptedIOException("stopped");
                    }
                  }
                  if (start == 6) {
                    seventh.countDown();
                  }
                  return new long[] {10};
                },
                new Progress(counting, 120)));
    assertThat(bytes.get()).isEqualTo(120);
  }

  @Test
  void aFailureBehindARunStillGoingWaitsForIt() {
    for (boolean firstFails : new boolean[] {true, false}) {
      // the window: run 0 still going when looked at (its outcome known only to get), run 1 done,
      // run 2 failed
      CompletableFuture<long[]> first =
          new CompletableFuture<>() {
            @Override
            public boolean isDone() {
              return false;
            }
          };
      if (firstFails) {
        first.completeExceptionally(new IOException("run 0"));
      } else {
        first.complete(new long[] {10});
      }
      CompletableFuture<long[]> failedLater = new CompletableFuture<>();
      failedLater.completeExceptionally(new IOException("run 2"));
      ArrayDeque<Future<long[]>> window =
          new ArrayDeque<>(
              List.of(first, CompletableFuture.completedFuture(new long[] {10}), failedLater));
      assertThatThrownBy(() -> Checker.sweep(window, new Progress(ProgressListener.NONE, 30)))
          .isInstanceOf(IOException.class)
          .hasMessage(firstFails ? "run 0" : "run 2");
    }
  }

  @Test
  void aLaterFailureIsThrownWhenTheRunsBeforeItSucceed() {
    assertThatThrownBy(
            () ->
                Checker.eachRun(
                    pool,
                    2,
                    entries(8),
                    (start, end) -> {
                      if (start == 5) {
                        throw new IOException("run 5");
                      }
                      return new long[] {10};
                    },
                    new Progress(ProgressListener.NONE, 80)))
        .isInstanceOf(IOException.class)
        .hasMessage("run 5");
  }
}
