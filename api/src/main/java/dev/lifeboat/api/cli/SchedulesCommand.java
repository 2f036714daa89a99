package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat schedules}: every schedule with its next fire, last run and state. */
public final class SchedulesCommand extends ApiCommand {
  public SchedulesCommand() {
    super("schedules", "List the runbooks' schedules: next fire, last run, paused, skipped");
  }

  @Override
  void configureArguments(Subparser subparser) {}

  @Override
  int execute(Namespace ns) throws Exception {
    JsonNode all = get("/api/schedules");
    for (JsonNode s : all) {
      StringBuilder line =
          new StringBuilder(s.path("name").asText())
              .append("  ")
              .append(s.path("runbook").asText())
              .append("  ")
              .append(s.path("cron").isTextual() ? "\"" + s.path("cron").asText() + "\"" : "-")
              .append(" ")
              .append(s.path("timezone").asText());
      if (s.path("runbookInvalid").asBoolean()) {
        line.append(s.path("paused").asBoolean() ? "  PAUSED" : "")
            .append("  RUNBOOK INVALID: ")
            .append(s.path("reason").asText());
      } else if (!s.path("enabled").asBoolean(true)) {
        line.append("  OFF: ").append(s.path("reason").asText());
      } else {
        line.append(s.path("paused").asBoolean() ? "  PAUSED" : "");
        JsonNode next = s.path("next");
        line.append("  next ").append(next.size() > 0 ? next.get(0).asText() : "-");
        JsonNode last = s.path("last");
        line.append("  last ")
            .append(
                last.isObject()
                    ? last.path("id").asText()
                        + " "
                        + last.path("status").asText()
                        + (Follow.warned(last) ? " with warnings" : "")
                    : "-");
        if (s.path("skipped").asLong() > 0) {
          line.append("  skipped ").append(s.path("skipped").asLong());
        }
      }
      out.println(line);
    }
    if (all.isEmpty()) {
      out.println("no schedules (a runbook declares them under 'schedules:')");
    }
    return 0;
  }
}
