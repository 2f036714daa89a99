package dev.lifeboat.workflows;

/** The state of a whole run as users see it. */
public enum RunStatus {
  RUNNING,
  WAITING_FOR_APPROVAL,
  COMPLETED,
  FAILED,
  CANCELED
}
