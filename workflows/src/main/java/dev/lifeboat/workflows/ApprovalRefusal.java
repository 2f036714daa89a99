package dev.lifeboat.workflows;

import java.util.List;
import java.util.Optional;

/**
 * Why an approval cannot be given now. One rule for the API, which answers with it before sending
 * an approval, and the workflow, which checks it again when the approval arrives: a step is
 * approved only while it waits for approval, once, by someone in its approver group.
 */
public record ApprovalRefusal(Reason reason, String message) {

  /** The kinds of refusal; the API answers 404, 403 and 409 for them. */
  public enum Reason {
    NO_SUCH_STEP,
    NOT_AN_APPROVAL_STEP,
    NOT_WAITING,
    ALREADY_APPROVED,
    NOT_IN_GROUP
  }

  /**
   * True when an approval of {@code stepId} is meant for the step (or forEach item) {@code key}:
   * the step's own id, or any of its items {@code stepId[item]}.
   */
  public static boolean names(String stepId, String key) {
    return key.equals(stepId) || key.startsWith(stepId + "[");
  }

  /**
   * The refusal of {@code approval} for a run whose steps are {@code steps}, or empty to accept.
   */
  public static Optional<ApprovalRefusal> check(List<StepProgress> steps, Approval approval) {
    String stepId = approval.stepId();
    List<StepProgress> named = steps.stream().filter(s -> names(stepId, s.id())).toList();
    if (named.isEmpty()) {
      return refuse(Reason.NO_SUCH_STEP, "the run has no step '" + stepId + "'");
    }
    List<StepProgress> gates = named.stream().filter(StepProgress::approvalStep).toList();
    if (gates.isEmpty()) {
      return refuse(Reason.NOT_AN_APPROVAL_STEP, "step '" + stepId + "' is not an approval step");
    }
    List<StepProgress> waiting =
        gates.stream()
            .filter(s -> s.state() == StepState.WAITING_FOR_APPROVAL && s.approval() == null)
            .toList();
    if (waiting.isEmpty()) {
      Optional<StepProgress> approved =
          gates.stream().filter(s -> s.approval() != null).findFirst();
      if (approved.isPresent()) {
        Approval a = approved.get().approval();
        return refuse(
            Reason.ALREADY_APPROVED,
            "step '"
                + approved.get().id()
                + "' is already approved"
                + (a.by() == null ? "" : " by " + a.by()));
      }
      return refuse(
          Reason.NOT_WAITING,
          "step '"
              + stepId
              + "' is not waiting for approval (it is "
              + gates.get(gates.size() - 1).state()
              + ")");
    }
    for (StepProgress s : waiting) {
      String group = s.approvalGroup();
      if (group != null && !approval.groups().contains(group)) {
        return refuse(
            Reason.NOT_IN_GROUP,
            "step '"
                + s.id()
                + "' needs an approver of group '"
                + group
                + "'; '"
                + (approval.by() == null ? "an unnamed approver" : approval.by())
                + "' is not one");
      }
    }
    return Optional.empty();
  }

  /**
   * The refusal a failed approval update carries ({@link RunbookWorkflow#checkApproval} threw it),
   * or empty when the update failed for another reason. The SDK keeps only the message of a
   * validator's failure, not its type, so the reason travels as the message's first word.
   */
  public static Optional<ApprovalRefusal> from(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m =
          t instanceof io.temporal.failure.ApplicationFailure af
              ? af.getOriginalMessage()
              : t.getMessage();
      for (Reason r : Reason.values()) {
        if (m != null && m.startsWith(r.name() + ": ")) {
          return refuse(r, m.substring(r.name().length() + 2));
        }
      }
    }
    return Optional.empty();
  }

  /** Rejects an approval update: the failure {@link #from} reads back. */
  io.temporal.failure.ApplicationFailure asFailure() {
    return io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
        reason.name() + ": " + message, reason.name());
  }

  private static Optional<ApprovalRefusal> refuse(Reason reason, String message) {
    return Optional.of(new ApprovalRefusal(reason, message));
  }
}
