package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.activities.action.Printable;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat status <run-id> [--follow]}: a run's steps, or follows it to the end. */
public final class StatusCommand extends ApiCommand {
  public StatusCommand() {
    super("status", "Show a run: status <run-id> [--follow]");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("id").help("the run id");
    subparser
        .addArgument("--follow")
        .action(Arguments.storeTrue())
        .help("follow the run until it ends");
    subparser
        .addArgument("--json")
        .action(Arguments.storeTrue())
        .help("print the run as JSON (with --follow: one JSON line per change)");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    String id = ns.getString("id");
    boolean json = ns.getBoolean("json");
    if (ns.getBoolean("follow")) {
      return Follow.until(this, id, Follow.mode(json));
    }
    JsonNode run = get(runPath(id));
    if (json) {
      out.println(JSON.writeValueAsString(run));
      return 0;
    }
    out.println(
        run.get("id").asText()
            + " "
            + run.get("status").asText()
            + (Follow.warned(run) ? " with warnings" : "")
            + (run.path("error").isTextual()
                ? ": " + Printable.text(run.get("error").asText())
                : ""));
    for (JsonNode s : run.path("steps")) {
      out.println(
          "  "
              + s.get("id").asText()
              + ": "
              + s.get("state").asText()
              + (s.path("message").isTextual()
                  ? " — " + Printable.text(s.get("message").asText())
                  : "")
              + (s.path("lastError").isTextual()
                  ? " — " + Printable.text(s.get("lastError").asText())
                  : ""));
    }
    Follow.printWarnings(this, run);
    return 0;
  }
}
