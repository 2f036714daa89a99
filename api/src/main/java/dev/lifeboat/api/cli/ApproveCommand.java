package dev.lifeboat.api.cli;

import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat approve <run-id> <step> [--comment text]}. */
public final class ApproveCommand extends ApiCommand {
  public ApproveCommand() {
    super("approve", "Approve a waiting step: approve <run-id> <step> [--comment text]");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("id").help("the run id");
    subparser.addArgument("step").help("the step waiting for approval");
    subparser.addArgument("--comment").help("why you approve; kept with the approval");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    String comment = ns.getString("comment");
    String id = ns.getString("id");
    String step = ns.getString("step");
    String run = runPath(id);
    post(
        run
            + "/approve/"
            + segment(step)
                .orElseThrow(() -> new CliError("run '" + id + "' has no step '" + step + "'", 2)),
        comment == null ? null : java.util.Map.of("comment", comment));
    out.println("approved " + ns.getString("step"));
    return 0;
  }
}
