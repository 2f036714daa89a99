package dev.lifeboat.workflows;

import java.util.List;

/**
 * Sent by an activity to its run when one attempt of a step fails, before the failure is rethrown;
 * {@code log} is the attempt's log tail (null in histories written before it existed).
 */
public record AttemptFailure(String stepKey, int attempt, String error, long at, List<String> log) {
  public AttemptFailure(String stepKey, int attempt, String error, long at) {
    this(stepKey, attempt, error, at, null);
  }
}
