package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Prints a run's step changes as they happen, until the run ends; exit 0 only for COMPLETED. */
final class Follow {
  private static final Set<String> ENDED = Set.of("COMPLETED", "FAILED", "CANCELED");

  private Follow() {}

  static int until(ApiCommand cmd, String id) throws Exception {
    Map<String, String> seen = new HashMap<>();
    while (true) {
      JsonNode run = cmd.get(ApiCommand.runPath(id));
      for (JsonNode s : run.path("steps")) {
        String line = s.get("state").asText() + progress(s) + message(s);
        if (!line.equals(seen.put(s.get("id").asText(), line))) {
          cmd.out.println("  " + s.get("id").asText() + ": " + line);
        }
      }
      String status = run.get("status").asText();
      if (ENDED.contains(status)) {
        cmd.out.println(id + " " + status + (run.path("error").isTextual() ? ": " + run.get("error").asText() : ""));
        return "COMPLETED".equals(status) ? 0 : 1;
      }
      Thread.sleep(1000); // polling interval of a human-facing follower, not test synchronisation
    }
  }

  private static String progress(JsonNode s) {
    long files = s.path("filesDone").asLong();
    long bytes = s.path("bytesDone").asLong();
    return files > 0 || bytes > 0 ? " (" + files + " files, " + bytes + " bytes)" : "";
  }

  private static String message(JsonNode s) {
    if (s.path("lastError").isTextual()) {
      return " — " + s.get("lastError").asText();
    }
    return s.path("message").isTextual() ? " — " + s.get("message").asText() : "";
  }
}
