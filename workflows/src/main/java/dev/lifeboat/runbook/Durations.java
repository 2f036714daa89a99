package dev.lifeboat.runbook;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Human durations as runbooks write them: {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 30d}, or
 * ISO-8601. At most {@link #MAX}: a retention of a trillion days passed the parser and then failed
 * the prune with "Instant exceeds minimum or maximum instant", and longer ones ended in "long
 * overflow" or a bare "For input string".
 */
public final class Durations {
  /** Longer than any retention, timeout or jitter means anything for; ~100 years. */
  public static final Duration MAX = Duration.ofDays(36_500);

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d|w)");

  private Durations() {}

  public static Duration parse(String text) {
    Duration d;
    try {
      d = parseUnbounded(text);
    } catch (ArithmeticException | NumberFormatException e) {
      throw tooLong(text);
    }
    if (d.compareTo(MAX) > 0) {
      throw tooLong(text);
    }
    return d;
  }

  private static IllegalArgumentException tooLong(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is longer than the longest duration Lifeboat takes (36500d, ~100 years)");
  }

  private static Duration parseUnbounded(String text) {
    String t = text == null ? "" : text.trim();
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        return Duration.parse(t);
      } catch (RuntimeException e) {
        // digits too many for a long, or a sum past it
        if (e.getCause() instanceof ArithmeticException
            || e.getCause() instanceof NumberFormatException) {
          throw new ArithmeticException(e.getMessage());
        }
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
