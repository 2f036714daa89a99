package dev.lifeboat.runbook;

import java.util.List;

/** Actions the workflow itself performs rather than an activity. */
public final class BuiltinActions {
  public static final String APPROVAL = "approval";
  public static final String RUNBOOK = "runbook";

  private BuiltinActions() {}

  public static List<ActionSignature> signatures() {
    return List.of(
        ActionSignature.of(
            APPROVAL,
            "Wait until a human approves this step",
            List.of(
                new ArgSpec("message", "string", true, "what the human must do before approving"),
                new ArgSpec(
                    "group", "string", false, "only an approver of this group may approve"))),
        ActionSignature.of(
            RUNBOOK,
            "Run another runbook as a child run and wait for it",
            List.of(
                new ArgSpec("name", "string", true, "the runbook to run"),
                new ArgSpec("params", "map", false, "its parameters"))));
  }
}
