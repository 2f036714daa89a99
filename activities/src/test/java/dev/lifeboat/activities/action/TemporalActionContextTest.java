package dev.lifeboat.activities.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.workflows.StepCall;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.client.ActivityCanceledException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A cancel reaches the action through a heartbeat, which interrupts the action's thread. After the
 * action has ended that thread goes on to tell Temporal how the attempt ended: a heartbeat still in
 * flight must not interrupt it then, or the report can fail and the run waits for a timeout.
 */
class TemporalActionContextTest {
  private final AtomicInteger beats = new AtomicInteger();
  private final CountDownLatch secondBeat = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  /** The first heartbeat passes; the second waits for the test, then says the run was cancelled. */
  private ActivityExecutionContext temporal() {
    ActivityInfo info =
        (ActivityInfo)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ActivityInfo.class},
                (p, m, a) -> m.getName().equals("getAttempt") ? 1 : null);
    return (ActivityExecutionContext)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ActivityExecutionContext.class},
            (p, m, a) ->
                switch (m.getName()) {
                  case "getInfo" -> info;
                  case "getHeartbeatDetails" -> Optional.empty();
                  case "heartbeat" -> {
                    if (beats.incrementAndGet() == 2) {
                      secondBeat.countDown();
                      awaitUninterruptibly(release);
                      throw new ActivityCanceledException();
                    }
                    yield null;
                  }
                  default -> null;
                });
  }

  @Test
  void aCancelSeenAfterCloseLeavesTheThreadUninterrupted() throws Exception {
    TemporalActionContext context =
        new TemporalActionContext(temporal(), new StepCall("run@1", "run", "archive"));
    assertThat(secondBeat.await(30, TimeUnit.SECONDS)).isTrue();
    context.close();
    release.countDown();
    Thread ticker = thread("heartbeat-archive");
    if (ticker != null) {
      ticker.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(ticker.isAlive()).isFalse();
    }
    assertThat(Thread.currentThread().isInterrupted())
        .as("the thread that reports the attempt's end")
        .isFalse();
  }

  @Test
  void aCancelSeenWhileTheActionRunsInterruptsItAndIsReportedAsCancelled() throws Exception {
    try (TemporalActionContext context =
        new TemporalActionContext(temporal(), new StepCall("run@1", "run", "archive"))) {
      assertThat(secondBeat.await(30, TimeUnit.SECONDS)).isTrue();
      release.countDown();
      assertThatThrownBy(() -> new CountDownLatch(1).await(30, TimeUnit.SECONDS))
          .isInstanceOf(InterruptedException.class);
      assertThatThrownBy(context::throwIfCancelled).isInstanceOf(CancellationException.class);
    }
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  private static Thread thread(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
