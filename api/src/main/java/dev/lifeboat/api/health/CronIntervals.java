package dev.lifeboat.api.health;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.lifeboat.runbook.Expressions;
import dev.lifeboat.runbook.Param;
import dev.lifeboat.runbook.Reference;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.Step;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@link ScheduleIntervals} from cron text: each entry says which schedule backs up which
 * set/source (a null source: every source of the set); its interval is the longest gap between
 * consecutive fires over the next year in the schedule's time zone, so {@code 0 2 * * *} is a day,
 * {@code 0 4 * * 0} a week and {@code @monthly} 31 days, and a DST change is counted as it happens.
 */
public final class CronIntervals implements ScheduleIntervals {
  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  /** One schedule's promise for a set (and source, or null for all its sources). */
  public record Entry(String schedule, String set, String source, Expected expected) {}

  private final List<Entry> entries;

  public CronIntervals(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  @Override
  public Optional<Expected> expected(String set, String source) {
    return entries.stream()
        .filter(e -> e.set().equals(set) && (e.source() == null || e.source().equals(source)))
        .map(Entry::expected)
        .min(Comparator.comparing(Expected::limit));
  }

  /**
   * The longest gap between two fires of {@code cron} ({@code @daily}, {@code @weekly}, ... too).
   */
  public static Duration interval(String cron, String timezone) {
    ZoneId zone = timezone == null || timezone.isBlank() ? ZoneId.of("UTC") : ZoneId.of(timezone);
    ExecutionTime fires = ExecutionTime.forCron(UNIX.parse(expand(cron)));
    ZonedDateTime t =
        fires
            .nextExecution(ZonedDateTime.now(zone))
            .orElseThrow(() -> new IllegalArgumentException("cron '" + cron + "' never fires"));
    ZonedDateTime end = t.plusYears(1);
    Duration longest = Duration.ZERO;
    while (t.isBefore(end)) {
      ZonedDateTime next = fires.nextExecution(t).orElse(null);
      if (next == null) {
        break;
      }
      Duration gap = Duration.between(t, next);
      longest = gap.compareTo(longest) > 0 ? gap : longest;
      t = next;
    }
    return longest;
  }

  private static String expand(String cron) {
    return switch (cron.trim().toLowerCase(Locale.ROOT)) {
      case "@hourly" -> "0 * * * *";
      case "@daily", "@midnight" -> "0 0 * * *";
      case "@weekly" -> "0 0 * * 0";
      case "@monthly" -> "0 0 1 * *";
      case "@yearly", "@annually" -> "0 0 1 1 *";
      default -> cron.trim();
    };
  }

  /**
   * The entries one schedule of {@code runbook} makes: the set/source of every {@code backup} step,
   * with the schedule's params over the runbook's defaults ({@code set: ${params.set}} and the
   * like). A source the step computes at run time (from a step output) covers the whole set. This
   * is the one place to connect the runbook catalogue's schedules to the health check.
   */
  public static List<Entry> entriesFor(
      Runbook runbook,
      String schedule,
      String cron,
      String timezone,
      Duration jitter,
      Map<String, Object> params) {
    Expected expected =
        new Expected(schedule, interval(cron, timezone), jitter == null ? Duration.ZERO : jitter);
    List<Entry> out = new ArrayList<>();
    for (Step step : runbook.steps()) {
      if (!"backup".equals(step.action())) {
        continue;
      }
      String set = text(runbook, step.with().get("set"), params).orElse("local");
      out.add(
          new Entry(
              schedule,
              set,
              text(runbook, step.with().get("source"), params).orElse(null),
              expected));
    }
    return out;
  }

  private static Optional<String> text(Runbook runbook, Object value, Map<String, Object> params) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      Object v =
          Expressions.resolve(
              value,
              path -> {
                Reference ref = Reference.parse(path);
                if (ref.root() != Reference.Root.PARAMS || ref.parts().size() != 2) {
                  throw new IllegalStateException("known at run time only");
                }
                String name = ref.name();
                if (params != null && params.get(name) != null) {
                  return params.get(name);
                }
                return runbook.params().stream()
                    .filter(p -> p.name().equals(name))
                    .map(Param::defaultValue)
                    .filter(java.util.Objects::nonNull)
                    .findFirst()
                    .orElse(null);
              });
      return v == null || String.valueOf(v).isBlank()
          ? Optional.empty()
          : Optional.of(String.valueOf(v));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
