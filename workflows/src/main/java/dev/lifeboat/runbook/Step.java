package dev.lifeboat.runbook;

import java.util.List;
import java.util.Map;

/**
 * One step of a runbook: an action with its arguments. {@code with} values may hold {@code
 * ${params.x}}, {@code ${steps.id.field}}, {@code ${item}} references, resolved when the step runs.
 *
 * @param approval when not null, the run waits for a human approve signal before the action runs;
 *     the text tells the human what to do
 * @param approvalGroup when not null, only an approver of this group may approve the step (its
 *     approval, or the step itself when its action is {@code approval})
 * @param forEach when not null, an expression that yields a list; the action runs once per item
 * @param when when not null, an expression evaluated as the step is reached: the step runs only
 *     when it resolves to true, "true" or another non-empty value that is not "false"; otherwise it
 *     is SKIPPED
 * @param parallelism how many items of a forEach run at once
 * @param continueOnError a failed forEach item (or the step itself) does not fail the run
 * @param finallySteps steps registered when this step starts and run when the runbook ends,
 *     whatever the outcome (success, failure or cancel), newest first
 */
public record Step(
    String id,
    String action,
    Map<String, Object> with,
    RetrySpec retry,
    String timeout,
    String approval,
    String approvalGroup,
    String forEach,
    String when,
    int parallelism,
    boolean continueOnError,
    List<Step> finallySteps,
    int line) {

  public Step {
    with =
        with == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(with));
    finallySteps = finallySteps == null ? List.of() : List.copyOf(finallySteps);
    parallelism = parallelism <= 0 ? 1 : parallelism;
  }
}
