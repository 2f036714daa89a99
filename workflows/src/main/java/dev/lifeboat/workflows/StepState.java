package dev.lifeboat.workflows;

/** Where a step is. COMPENSATED: it succeeded, the run then failed, and its finally steps ran. */
public enum StepState {
  PENDING,
  RUNNING,
  WAITING_FOR_APPROVAL,
  SUCCEEDED,
  FAILED,
  SKIPPED,
  COMPENSATED
}
