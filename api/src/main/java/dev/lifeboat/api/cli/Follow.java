package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.activities.action.Printable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Follows a run until it ends, in one of three shapes: a progress bar per running step when
 * attached to a terminal, plain lines of step changes otherwise, or with {@code --json} the run's
 * JSON as one line per change (the last line is the final run). Exit code 0 only for COMPLETED
 * without warnings.
 */
final class Follow {
  static final Set<String> ENDED = Set.of("COMPLETED", "FAILED", "CANCELED");

  /**
   * A run that COMPLETED with warnings (a backup that could not read some files): restic's 3 for a
   * snapshot that misses unreadable files, moved up one as this CLI's 3 says Lifeboat is
   * unreachable.
   */
  static final int WARNINGS = 4;

  enum Mode {
    BAR,
    PLAIN,
    JSON
  }

  private Follow() {}

  /** The shape for this invocation: JSON when asked, bars on a terminal, plain lines when piped. */
  static Mode mode(boolean json) {
    return json ? Mode.JSON : System.console() != null ? Mode.BAR : Mode.PLAIN;
  }

  static int until(ApiCommand cmd, String id, Mode mode) throws Exception {
    Map<String, String> seen = new HashMap<>();
    Map<String, ProgressBar> bars = new HashMap<>();
    String lastJson = null;
    Thread interrupted = interruptNotice(cmd, id, mode);
    try {
      while (true) {
        JsonNode run = cmd.get(ApiCommand.runPath(id));
        String status = run.path("status").asText();
        if (mode == Mode.JSON) {
          String line = ApiCommand.JSON.writeValueAsString(run);
          if (!line.equals(lastJson)) {
            cmd.out.println(line);
            lastJson = line;
          }
        } else {
          printSteps(cmd, run, mode, seen, bars);
        }
        if (ENDED.contains(status)) {
          if (mode != Mode.JSON) {
            ProgressBar.clear(cmd.out, mode == Mode.BAR);
            cmd.out.println(
                id
                    + " "
                    + status
                    + (warned(run) ? " with warnings" : "")
                    + (run.path("error").isTextual()
                        ? ": " + Printable.text(run.get("error").asText())
                        : ""));
            printWarnings(cmd, run);
          }
          return exitCode(run);
        }
        cmd.out.flush();
        Thread.sleep(1000); // polling interval of a human-facing follower, not test synchronisation
      }
    } finally {
      if (interrupted != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(interrupted);
        } catch (IllegalStateException e) {
          // already shutting down: the hook runs
        }
      }
    }
  }

  /** 0 completed, 4 completed with warnings, 1 failed or canceled (the README's table). */
  static int exitCode(JsonNode run) {
    if (!"COMPLETED".equals(run.path("status").asText())) {
      return 1;
    }
    return warned(run) ? WARNINGS : 0;
  }

  static boolean warned(JsonNode run) {
    return !run.path("warnings").isEmpty();
  }

  /** One line per warning, last: what the run's green status leaves out. */
  static void printWarnings(ApiCommand cmd, JsonNode run) {
    for (JsonNode w : run.path("warnings")) {
      cmd.out.println(
          "  warning: "
              + Printable.line(w.path("step").asText())
              + ": "
              + Printable.line(w.path("text").asText()));
    }
  }

  private static void printSteps(
      ApiCommand cmd,
      JsonNode run,
      Mode mode,
      Map<String, String> seen,
      Map<String, ProgressBar> bars) {
    JsonNode running = null;
    for (JsonNode s : run.path("steps")) {
      String id = s.path("id").asText();
      String state = s.path("state").asText();
      String line =
          state + (mode == Mode.BAR && "RUNNING".equals(state) ? "" : counts(s)) + message(s);
      if (!line.equals(seen.put(id, line))) {
        ProgressBar.clear(cmd.out, mode == Mode.BAR);
        cmd.out.println("  " + id + ": " + line);
      }
      if ("RUNNING".equals(state)
          && (s.path("bytesTotal").asLong() > 0 || s.path("bytesDone").asLong() > 0)) {
        running = s;
      }
    }
    if (mode == Mode.BAR && running != null) {
      String id = running.path("id").asText();
      ProgressBar bar = bars.computeIfAbsent(id, ProgressBar::new);
      cmd.out.print(
          bar.render(
              running.path("bytesDone").asLong(),
              running.path("bytesTotal").asLong(),
              running.path("filesDone").asLong(),
              System.nanoTime()));
    }
  }

  private static String counts(JsonNode s) {
    long files = s.path("filesDone").asLong();
    long bytes = s.path("bytesDone").asLong();
    long total = s.path("bytesTotal").asLong();
    if (files == 0 && bytes == 0) {
      return "";
    }
    String pct = total > 0 ? ", " + Math.min(100, bytes * 100 / total) + "%" : "";
    return " ("
        + files
        + " files, "
        + ProgressBar.bytes(bytes)
        + (total > 0 ? " of " + ProgressBar.bytes(total) : "")
        + pct
        + ")";
  }

  private static String message(JsonNode s) {
    if (s.path("lastError").isTextual()) {
      return " — " + Printable.text(s.get("lastError").asText());
    }
    return s.path("message").isTextual() ? " — " + Printable.text(s.get("message").asText()) : "";
  }

  /**
   * On Ctrl-C the JVM exits with 130 (128 + SIGINT); this hook says that only the follower stopped.
   * Only for the real process: an embedded command (tests) has no signal to catch.
   */
  private static Thread interruptNotice(ApiCommand cmd, String id, Mode mode) {
    if (cmd.out != System.out) {
      return null;
    }
    Thread hook =
        new Thread(
            () -> {
              ProgressBar.clear(cmd.out, mode == Mode.BAR);
              cmd.err.println(
                  "lifeboat: interrupted; run "
                      + id
                      + " goes on (lifeboat status "
                      + id
                      + " --follow)");
              cmd.err.flush();
              Runtime.getRuntime().halt(130);
            },
            "follow-interrupted");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }
}
