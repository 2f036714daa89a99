package dev.lifeboat.activities.command;

import java.time.Duration;
import java.util.List;

/**
 * How a child process ended: its exit code, how many lines it printed, the last of them, and how
 * long it took.
 */
public record ProgramResult(
    String program, int exitCode, long lines, List<String> tail, Duration duration) {

  public String tailText() {
    return String.join("\n", tail);
  }

  /** "4.2s", "3m05s", "1h02m" — for messages and step outputs. */
  public static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 60_000) {
      return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = d.toSeconds();
    if (s < 3600) {
      return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
