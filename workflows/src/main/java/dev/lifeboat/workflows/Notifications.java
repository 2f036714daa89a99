package dev.lifeboat.workflows;

import dev.lifeboat.runbook.NotifySpec;
import dev.lifeboat.runbook.Runbook;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a runbook's {@code notify:} as calls of the {@code notify} action on failure, on waiting for
 * approval and on completion. A notification that cannot be delivered is a line in the step log,
 * never a failed run; it runs detached, so a cancelled run still says so.
 */
final class Notifications {
  private static final ActivityOptions OPTIONS =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setMaximumAttempts(3)
                  .setInitialInterval(Duration.ofSeconds(2))
                  .setDoNotRetry(
                      ActionFailureTypes.INVALID_ARGUMENT, ActionFailureTypes.CHECK_FAILED)
                  .build())
          .build();

  private final Runbook runbook;

  Notifications(Runbook runbook) {
    this.runbook = runbook;
  }

  /**
   * Posts when the runbook asks for this event; returns a line for the step log when it could not.
   */
  String send(String event, RunStatus status, String step, String text) {
    NotifySpec spec = runbook.notifications();
    if (spec == null || !spec.wants(event)) {
      return null;
    }
    String runId = Workflow.getInfo().getWorkflowId();
    Map<String, Object> args = new LinkedHashMap<>();
    if (spec.url() != null) {
      args.put("url", spec.url());
    }
    if (spec.format() != null) {
      args.put("format", spec.format());
    }
    args.put(
        "title",
        switch (event) {
          case "failure" -> "Lifeboat: " + runbook.name() + " " + status.name().toLowerCase();
          case "approval" -> "Lifeboat: " + runbook.name() + " waits for approval";
          default -> "Lifeboat: " + runbook.name() + " completed";
        });
    args.put("message", text == null ? runId : text + " (run " + runId + ")");
    args.put("priority", "failure".equals(event) ? "high" : "default");
    args.put("event", event);
    args.put("runbook", runbook.name());
    args.put("status", status.name());
    if (step != null) {
      args.put("step", step);
    }
    String[] problem = new String[1];
    Workflow.newDetachedCancellationScope(
            () -> {
              try {
                Workflow.newUntypedActivityStub(OPTIONS)
                    .execute(
                        NotifySpec.ACTION,
                        Map.class,
                        args,
                        new StepCall(runId, runbook.name(), step == null ? "notify" : step));
              } catch (TemporalFailure e) {
                problem[0] =
                    "notification (" + event + ") not sent: " + RunbookWorkflowImpl.message(e);
              }
            })
        .run();
    return problem[0];
  }

  /** Adds the undelivered notification's line to a step log, if there was one. */
  static void note(RunbookWorkflowImpl.StepRecord r, String line) {
    if (line != null && r != null) {
      r.addLog(List.of(line));
    }
  }
}
