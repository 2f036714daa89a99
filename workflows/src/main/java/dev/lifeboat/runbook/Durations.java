package dev.lifeboat.runbook;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human durations as runbooks write them: {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 30d}, or
 * ISO-8601.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

  private Durations() {}

  public static Duration parse(String text) {
    String t = text == null ? "" : text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a duration (e.g. 30s, 5m, 2h, 14d)");
      }
    }
    Matcher m = PART.matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
              });
      end = m.end();
    }
    if (t.isEmpty() || end != t.length()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (e.g. 30s, 5m, 2h, 14d)");
    }
    return total;
  }
}
