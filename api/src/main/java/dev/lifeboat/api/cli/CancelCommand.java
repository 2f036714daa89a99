package dev.lifeboat.api.cli;

import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat cancel <run-id>}. */
public final class CancelCommand extends ApiCommand {
  public CancelCommand() {
    super("cancel", "Cancel a run (its finally steps still run): cancel <run-id>");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("id").help("the run id");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    post(runPath(ns.getString("id")) + "/cancel", null);
    out.println("cancel requested for " + ns.getString("id"));
    return 0;
  }
}
