package dev.lifeboat.workflows;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of one step (or one item of a forEach step, id {@code step[item]}). Times are epoch
 * milliseconds, 0 when not reached. {@code phase} is "main" or "finally". {@code attempts} lists
 * every failed attempt; {@code approval} says who approved the step (null before), {@code
 * approvalGroup} which approver group the step requires (null: anyone); {@code approvalStep}
 * whether the step waits for a human at all (an {@code approval} action or a step with {@code
 * approval:}), so only such steps can be approved. {@code warning}: the step succeeded with a
 * result that is not whole (a backup that could not read some files; a child run with warnings),
 * null otherwise.
 */
public record StepProgress(
    String id,
    String action,
    String phase,
    StepState state,
    long startedAt,
    long endedAt,
    int attempt,
    String lastError,
    String message,
    String warning,
    long bytesDone,
    long bytesTotal,
    long filesDone,
    Map<String, Object> output,
    List<String> log,
    List<Attempt> attempts,
    Approval approval,
    String approvalGroup,
    boolean approvalStep) {

  public StepProgress {
    attempts = attempts == null ? List.of() : List.copyOf(attempts);
  }
}
