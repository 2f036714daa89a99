package dev.lifeboat.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
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
   * works). Counts only while the step waits for approval; sent earlier, it is ignored.
   */
  @SignalMethod
  void approve(String stepId);

  /**
   * A human approves a step, saying who, from where and why; kept in the step and in Temporal's
   * history. Counts only while the step waits for approval; sent earlier, it is ignored.
   */
  @SignalMethod
  void approveBy(Approval approval);

  /**
   * A human approves a waiting step, as {@link #approveBy} does, and hears whether it counted: an
   * approval {@link #checkApproval} refuses (the step is not an approval step, not waiting yet, or
   * already approved) fails the update with the {@link ApprovalRefusal.Reason} as its type and
   * leaves no trace in the history. Two approvals racing for one step: one is accepted, the other
   * refused as already approved.
   */
  @UpdateMethod
  Approval approveStep(Approval approval);

  @UpdateValidatorMethod(updateName = "approveStep")
  void checkApproval(Approval approval);

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
