package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.activities.action.Printable;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/** {@code lifeboat list runbooks|runs|backups}. */
public final class ListCommand extends ApiCommand {
  public ListCommand() {
    super("list", "List runbooks, runs or backups: list runbooks|runs|backups");
  }

  @Override
  void configureArguments(Subparser subparser) {
    subparser.addArgument("what").choices("runbooks", "runs", "backups");
  }

  @Override
  int execute(Namespace ns) throws Exception {
    switch (ns.getString("what")) {
      case "runbooks" -> {
        for (JsonNode r : get("/api/runbooks")) {
          out.println(
              r.get("name").asText()
                  + (r.get("valid").asBoolean()
                      ? "  " + r.path("description").asText()
                      : "  INVALID "
                          + r.path("file").asText()
                          + ":"
                          + r.path("line").asInt()
                          + ": "
                          + Printable.text(r.path("reason").asText())));
        }
      }
      case "runs" -> {
        for (JsonNode r : get("/api/runs")) {
          out.println(
              r.get("id").asText()
                  + "  "
                  + r.get("status").asText()
                  + (Follow.warned(r) ? " with warnings" : ""));
        }
      }
      default -> {
        for (JsonNode b : get("/api/backups")) {
          out.println(
              b.path("set").asText()
                  + "/"
                  + b.path("source").asText()
                  + "/"
                  + b.path("name").asText()
                  + "  "
                  + b.path("sizeBytes").asLong()
                  + " bytes  "
                  + b.path("files").asLong()
                  + " files"
                  + "  "
                  // a missing archive is damaged in the API; here it says what it is
                  + (b.path("missing").asBoolean()
                      ? "MISSING"
                      : b.path("state")
                          .asText(b.path("verified").asBoolean() ? "verified" : "unverified"))
                  // good for what it holds, but no whole copy of its source
                  + (b.path("unreadable").asLong() > 0
                      ? "  INCOMPLETE: " + b.path("unreadable").asLong() + " unreadable NOT in it"
                      : "")
                  + (b.hasNonNull("error") ? "  (" + b.path("error").asText() + ")" : ""));
        }
      }
    }
    return 0;
  }
}
