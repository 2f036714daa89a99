package dev.lifeboat.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Runs one runbook: its steps in order, approvals, retries, and finally steps on every outcome. */
@WorkflowInterface
public interface RunbookWorkflow {
  String TASK_QUEUE = "lifeboat";

  @WorkflowMethod
  RunResult run(RunRequest request);

  /** Per-step state, times, attempts, errors and live byte/file counts. */
  @QueryMethod
  RunProgress progress();

  /**
   * A human approves the step with this id (for a forEach step, the id with its item suffix also
   * works).
   */
  @SignalMethod
  void approve(String stepId);

  /**
   * A human approves a step, saying who, from where and why; kept in the step and in Temporal's
   * history.
   */
  @SignalMethod
  void approveBy(Approval approval);

  /** Stops the run; finally steps still run. */
  @SignalMethod
  void cancel();

  /** Live progress sent by a running activity; throttled by the sender. */
  @SignalMethod
  void reportProgress(ProgressReport report);

  /** One attempt of a running step failed; sent by the activity before it rethrows. */
  @SignalMethod
  void attemptFailed(AttemptFailure failure);
}
