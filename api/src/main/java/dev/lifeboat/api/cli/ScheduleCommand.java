package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat schedule pause|resume|trigger NAME}. */
public final class ScheduleCommand extends ApiCommand {
  public ScheduleCommand() {
    super(
        "schedule", "Pause, resume or trigger a schedule now: schedule pause|resume|trigger NAME");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("what").choices("pause", "resume", "trigger");
    subparser.addArgument("name").help("the schedule's name (see: schedules)");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    String name = ns.getString("name");
    String what = ns.getString("what");
    JsonNode r =
        post(
            "/api/schedules/"
                + segment(name)
                    .orElseThrow(() -> new CliError("no schedule named '" + name + "'", 2))
                + "/"
                + what,
            null);
    switch (what) {
      case "trigger" -> out.println("started " + r.path("id").asText());
      case "pause" -> out.println("paused " + name);
      default ->
          out.println(
              "resumed "
                  + name
                  + (r.path("next").size() > 0 ? ", next " + r.path("next").get(0).asText() : ""));
    }
    return 0;
  }
}
