package dev.lifeboat.runbook;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks the cron text of a schedule before Temporal sees it, so a typo makes the runbook invalid
 * with its file and line instead of failing when the schedule is created. Temporal evaluates it.
 */
final class CronText {
  static final Set<String> NICKNAMES =
      Set.of("@hourly", "@daily", "@weekly", "@monthly", "@yearly");
  private static final List<String> FIELDS =
      List.of("minute", "hour", "day of month", "month", "day of week");
  private static final int[][] RANGES = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  private CronText() {}

  /** Throws IllegalArgumentException naming the field that is wrong. */
  static void check(String cron) {
    String t = cron == null ? "" : cron.trim();
    if (t.startsWith("@")) {
      if (!NICKNAMES.contains(t)) {
        throw new IllegalArgumentException(
            "cron '"
                + cron
                + "': unknown shorthand (use one of "
                + String.join(", ", NICKNAMES.stream().sorted().toList())
                + ", or five fields)");
      }
      return;
    }
    String[] fields = t.split("\\s+");
    if (fields.length != 5) {
      throw new IllegalArgumentException(
          "cron '"
              + cron
              + "' has "
              + (t.isEmpty() ? 0 : fields.length)
              + " fields; it needs five: minute hour day-of-month month day-of-week (e.g. \"0 2 * * *\")");
    }
    for (int i = 0; i < 5; i++) {
      for (String part : fields[i].split(",", -1)) {
        String why = part(part.toUpperCase(Locale.ROOT), i);
        if (why != null) {
          throw new IllegalArgumentException(
              "cron '" + cron + "': " + FIELDS.get(i) + " '" + fields[i] + "': " + why);
        }
      }
    }
  }

  private static String part(String part, int field) {
    String range = part;
    int slash = part.indexOf('/');
    if (slash >= 0) {
      range = part.substring(0, slash);
      String step = part.substring(slash + 1);
      if (!step.matches("\\d{1,2}") || Integer.parseInt(step) == 0) {
        return "step '" + step + "' must be a number from 1";
      }
    }
    if (range.equals("*")) {
      return null;
    }
    String[] ends = range.split("-", -1);
    if (ends.length > 2) {
      return "'" + range + "' is not a value or a range a-b";
    }
    int prev = -1;
    for (String end : ends) {
      Integer v = number(end, field);
      if (v == null || v < RANGES[field][0] || v > RANGES[field][1]) {
        return "'" + end + "' is not between " + RANGES[field][0] + " and " + RANGES[field][1];
      }
      if (v < prev) {
        return "range '" + range + "' goes backwards";
      }
      prev = v;
    }
    return null;
  }

  private static Integer number(String text, int field) {
    if (text.matches("\\d{1,2}")) {
      return Integer.parseInt(text);
    }
    Map<Integer, List<String>> names = Map.of(3, MONTHS, 4, DAYS);
    List<String> n = names.get(field);
    if (n != null && n.contains(text)) {
      return n.indexOf(text) + (field == 3 ? 1 : 0);
    }
    return null;
  }
}
