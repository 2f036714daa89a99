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
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
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
 * {@link CatalogIntervals} computes it once per schedule until the next reload.
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
   * The longest gap between two fires of {@code cron} ({@code @daily}, {@code @weekly}, ... too),
   * over the gaps that start within a year of its next fire. It does not step through every fire (a
   * year of {@code *}{@code /2 * * * *} is 262,800 of them): a fire time is a firing day (day of
   * month, month, day of week) at a time of day (hour and minute), so the longest gap is either the
   * longest between two times of one day or the one from the last fire of a firing day to the first
   * of the next. Days whose clocks change are counted fire by fire. A few hundred steps at most,
   * whatever the schedule.
   */
  public static Duration interval(String cron, String timezone) {
    ZoneId zone = timezone == null || timezone.isBlank() ? ZoneId.of("UTC") : ZoneId.of(timezone);
    String[] f = expand(cron).split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException("cron '" + cron + "' does not have five fields");
    }
    List<Integer> minutes = values(f[0] + " 0 1 1 *", ChronoUnit.MINUTES, 60);
    List<Integer> hours = values("0 " + f[1] + " 1 1 *", ChronoUnit.HOURS, 24);
    List<LocalTime> times = new ArrayList<>();
    for (int h : hours) {
      for (int m : minutes) {
        times.add(LocalTime.of(h, m));
      }
    }
    if (times.isEmpty()) {
      throw new IllegalArgumentException("cron '" + cron + "' never fires");
    }
    Duration withinDay = Duration.ZERO;
    for (int i = 1; i < times.size(); i++) {
      withinDay = longer(withinDay, Duration.between(times.get(i - 1), times.get(i)));
    }
    LocalTime first = times.get(0);
    LocalTime last = times.get(times.size() - 1);
    ExecutionTime days = ExecutionTime.forCron(UNIX.parse("0 0 " + f[2] + " " + f[3] + " " + f[4]));
    ZonedDateTime today = LocalDate.now(zone).atStartOfDay(ZoneOffset.UTC);
    LocalDate day =
        days.nextExecution(today.minusNanos(1))
            .orElseThrow(() -> new IllegalArgumentException("cron '" + cron + "' never fires"))
            .toLocalDate();
    LocalDate end = day.plusYears(1);
    Duration longest = Duration.ZERO;
    while (day.isBefore(end)) {
      boolean clocksChange =
          !zone.getRules()
              .getOffset(day.atStartOfDay(zone).toInstant())
              .equals(zone.getRules().getOffset(day.plusDays(1).atStartOfDay(zone).toInstant()));
      if (clocksChange) {
        for (int i = 1; i < times.size(); i++) {
          longest =
              longer(
                  longest,
                  Duration.between(
                      ZonedDateTime.of(day, times.get(i - 1), zone),
                      ZonedDateTime.of(day, times.get(i), zone)));
        }
      } else {
        longest = longer(longest, withinDay);
      }
      LocalDate next =
          days.nextExecution(day.atStartOfDay(ZoneOffset.UTC))
              .map(ZonedDateTime::toLocalDate)
              .orElse(null);
      if (next == null) {
        break;
      }
      longest =
          longer(
              longest,
              Duration.between(
                  ZonedDateTime.of(day, last, zone), ZonedDateTime.of(next, first, zone)));
      day = next;
    }
    return longest;
  }

  /**
   * The values one field of {@code cron} takes (minutes of an hour or hours of a day), read from
   * cron-utils so the field's grammar stays in one place.
   */
  private static List<Integer> values(String cron, ChronoUnit unit, int count) {
    ExecutionTime fires = ExecutionTime.forCron(UNIX.parse(cron));
    ZonedDateTime start = ZonedDateTime.of(2001, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    List<Integer> out = new ArrayList<>();
    ZonedDateTime t = start.minusNanos(1);
    while (true) {
      ZonedDateTime next = fires.nextExecution(t).orElse(null);
      if (next == null || !next.isBefore(start.plus(count, unit))) {
        return out;
      }
      out.add((int) unit.between(start, next));
      t = next;
    }
  }

  private static Duration longer(Duration a, Duration b) {
    return b.compareTo(a) > 0 ? b : a;
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
