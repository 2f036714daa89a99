package dev.lifeboat.workflows;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.DynamicActivity;
import io.temporal.client.ActivityCompletionException;
import io.temporal.common.converter.EncodedValues;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Plays every action a test runbook names, the way the real activities are called: the activity
 * type is the action name, the arguments are {@code (Map args, StepCall call)}. A test scripts what
 * an action does with {@link #on}; an unscripted action echoes its arguments back as its output.
 */
final class PlayedActions implements DynamicActivity {
  /** What one action does when called. */
  @FunctionalInterface
  interface Play {
    Object run(Map<String, Object> args, StepCall call, ActivityExecutionContext ctx)
        throws Exception;
  }

  /** One activity attempt as the action saw it. */
  record Call(String action, String stepKey, Map<String, Object> args, int attempt, String runId) {}

  private final Map<String, Play> plays = new ConcurrentHashMap<>();
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final List<String> canceled = new CopyOnWriteArrayList<>();

  PlayedActions on(String action, Play play) {
    plays.put(action, play);
    return this;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Object execute(EncodedValues args) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    String action = ctx.getInfo().getActivityType();
    Map<String, Object> a = args.get(0, Map.class);
    StepCall call = args.get(1, StepCall.class);
    calls.add(new Call(action, call.stepKey(), a, ctx.getInfo().getAttempt(), call.runId()));
    Play play = plays.get(action);
    try {
      Object out = play == null ? Map.of("echo", a) : play.run(a, call, ctx);
      return out == null ? Map.of() : out;
    } catch (ActivityCompletionException e) {
      canceled.add(call.stepKey());
      throw e;
    } catch (RuntimeException e) {
      reportAttempt(ctx, call, e);
      throw e;
    } catch (Exception e) {
      reportAttempt(ctx, call, e);
      throw Activity.wrap(e);
    }
  }

  /**
   * As the real dispatcher does: tell the run about this failed attempt before Temporal retries it.
   */
  private static void reportAttempt(ActivityExecutionContext ctx, StepCall call, Exception e) {
    String why =
        e instanceof io.temporal.failure.ApplicationFailure af
            ? af.getOriginalMessage()
            : e.getMessage();
    try {
      ctx.getWorkflowClient()
          .newWorkflowStub(RunbookWorkflow.class, call.runId())
          .attemptFailed(
              new AttemptFailure(
                  call.stepKey(),
                  ctx.getInfo().getAttempt(),
                  String.valueOf(why),
                  System.currentTimeMillis()));
    } catch (RuntimeException ignored) {
      // the run may have ended
    }
  }

  /** Heartbeats until the workflow cancels the activity; how a long transfer notices a cancel. */
  static Object heartbeatUntilCanceled(ActivityExecutionContext ctx, Runnable onStart)
      throws InterruptedException {
    onStart.run();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      ctx.heartbeat(null); // throws ActivityCanceledException once the cancel reaches this worker
      Thread.sleep(20);
    }
    throw new IllegalStateException("never canceled");
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Step keys in the order their first attempt started. */
  List<String> stepKeys() {
    List<String> out = new ArrayList<>();
    for (Call c : calls) {
      if (c.attempt() == 1) {
        out.add(c.stepKey());
      }
    }
    return out;
  }

  List<Call> callsOf(String stepKey) {
    return calls.stream().filter(c -> c.stepKey().equals(stepKey)).toList();
  }

  List<String> canceled() {
    return List.copyOf(canceled);
  }
}
