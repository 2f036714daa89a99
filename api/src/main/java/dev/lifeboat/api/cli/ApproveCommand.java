package dev.lifeboat.api.cli;

import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat approve <run-id> <step>}. */
public final class ApproveCommand extends ApiCommand {
  public ApproveCommand() {
    super("approve", "Approve a waiting step: approve <run-id> <step>");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("id").help("the run id");
    subparser.addArgument("step").help("the step waiting for approval");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    post(runPath(ns.getString("id")) + "/approve/" + ns.getString("step"), null);
    out.println("approved " + ns.getString("step"));
    return 0;
  }
}
