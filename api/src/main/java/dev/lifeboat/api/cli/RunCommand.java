package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code lifeboat run <runbook> [name=value ...] [--wait]}: starts a run, optionally follows it to
 * the end.
 */
public final class RunCommand extends ApiCommand {
  public RunCommand() {
    super("run", "Start a runbook: run <runbook> name=value ... [--wait]");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("runbook").help("the runbook to start");
    subparser.addArgument("params").nargs("*").help("parameters as name=value (lists: a,b,c)");
    subparser
        .addArgument("--wait")
        .action(Arguments.storeTrue())
        .help("follow the run until it ends");
    subparser
        .addArgument("--json")
        .action(Arguments.storeTrue())
        .help("print JSON: the started run, or with --wait the run as one JSON line per change");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    Map<String, Object> params = new LinkedHashMap<>();
    List<String> given = ns.getList("params");
    for (String p : given == null ? List.<String>of() : given) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new CliError("parameter '" + p + "' must look like name=value", 2);
      }
      if (params.put(p.substring(0, eq), p.substring(eq + 1)) != null) {
        throw new CliError("parameter '" + p.substring(0, eq) + "' is given twice", 2);
      }
    }
    JsonNode started =
        post(
            "/api/runbooks/"
                + segment(ns.getString("runbook"))
                    .orElseThrow(
                        () -> new CliError("no runbook named '" + ns.getString("runbook") + "'", 2))
                + "/runs",
            Map.of("params", params));
    String id = started.get("id").asText();
    boolean json = ns.getBoolean("json");
    if (!json) {
      out.println("started " + id);
    }
    if (!ns.getBoolean("wait")) {
      if (json) {
        out.println(JSON.writeValueAsString(started));
      }
      return 0;
    }
    return Follow.until(this, id, Follow.mode(json));
  }
}
