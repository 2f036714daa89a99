package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionContext;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Waits on an informer until a condition over the watched pods holds, checkpointing the deadline
 * while it waits. The informer delivers changes as they happen; the loop only wakes to checkpoint
 * and to re-list once, in case a watch event was lost.
 */
final class PodWait {
  static final Duration BEAT = Duration.ofSeconds(5);

  private PodWait() {}

  /**
   * The deadline: carried over from the previous attempt's checkpoint when it waited for the same
   * thing.
   */
  static WaitCheckpoint start(ActionContext ctx, String waitingFor, Duration timeout) {
    long now = System.currentTimeMillis();
    return ctx.lastCheckpoint(WaitCheckpoint.class)
        .filter(c -> waitingFor.equals(c.waitingFor()))
        .orElseGet(() -> new WaitCheckpoint(waitingFor, now, now + timeout.toMillis(), null));
  }

  /**
   * Returns the pods once {@code condition} holds; throws {@link TimeoutException} at the deadline.
   * {@code seen} summarises the latest state for the progress message and the checkpoint.
   */
  static List<Pod> until(
      FilterWatchListDeletable<Pod, ? extends KubernetesResourceList<Pod>, ?> pods,
      Predicate<List<Pod>> condition,
      Function<List<Pod>, String> seen,
      WaitCheckpoint checkpoint,
      ActionContext ctx)
      throws InterruptedException, TimeoutException {
    String[] last = {checkpoint.lastSeen()};
    Predicate<List<Pod>> watching =
        list -> {
          last[0] = seen.apply(list);
          return condition.test(list);
        };
    ctx.checkpoint(checkpoint);
    CompletableFuture<List<Pod>> done = pods.informOnCondition(watching);
    try {
      while (true) {
        ctx.throwIfCancelled();
        long left = checkpoint.deadlineMillis() - System.currentTimeMillis();
        if (left <= 0) {
          throw new TimeoutException(last[0] == null ? "nothing seen yet" : last[0]);
        }
        try {
          return done.get(Math.min(left, BEAT.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException beat) {
          // a fresh list now and then covers an event the watch missed (the mock server has such
          // gaps)
          List<Pod> now = pods.list().getItems();
          if (watching.test(now)) {
            return now;
          }
          checkpoint =
              new WaitCheckpoint(
                  checkpoint.waitingFor(),
                  checkpoint.startedAtMillis(),
                  checkpoint.deadlineMillis(),
                  last[0]);
          ctx.checkpoint(checkpoint);
          long waited = (System.currentTimeMillis() - checkpoint.startedAtMillis()) / 1000;
          ctx.message(
              "waiting "
                  + waited
                  + "s for "
                  + checkpoint.waitingFor()
                  + (last[0] == null ? "" : " (" + last[0] + ")"));
        } catch (ExecutionException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          if (cause instanceof RuntimeException re) {
            throw re;
          }
          throw new IllegalStateException(cause);
        }
      }
    } finally {
      // cancelling the future stops its informer
      done.cancel(true);
    }
  }
}
