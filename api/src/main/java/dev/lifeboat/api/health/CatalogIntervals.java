package dev.lifeboat.api.health;

import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.ScheduleSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The schedules of the runbooks as loaded now: a reload that adds, edits or removes a schedule
 * changes the health rule at the next check, with no wiring of its own. The intervals are worked
 * out once per reload (and again after a day, as the year they look at moves on), not at every
 * check: schedules change only on reload.
 */
public final class CatalogIntervals implements ScheduleIntervals {
  private static final Duration RECOMPUTE_AFTER = Duration.ofDays(1);

  private final RunbookCatalog catalog;
  private final Clock clock;
  private volatile Computed computed;

  private record Computed(CronIntervals intervals, Instant at) {}

  public CatalogIntervals(RunbookCatalog catalog) {
    this(catalog, Clock.systemUTC());
  }

  CatalogIntervals(RunbookCatalog catalog, Clock clock) {
    this.catalog = catalog;
    this.clock = clock;
    catalog.onReload(() -> computed = null);
  }

  @Override
  public Optional<Expected> expected(String set, String source) {
    return intervals().expected(set, source);
  }

  private CronIntervals intervals() {
    Computed c = computed;
    Instant now = clock.instant();
    if (c == null || now.isAfter(c.at().plus(RECOMPUTE_AFTER)) || now.isBefore(c.at())) {
      c = new Computed(compute(), now);
      computed = c;
    }
    return c.intervals();
  }

  private CronIntervals compute() {
    List<CronIntervals.Entry> entries = new ArrayList<>();
    for (LoadedRunbook loaded : catalog.all()) {
      Optional<Runbook> runbook = loaded.runbook();
      if (runbook.isEmpty()) {
        continue;
      }
      for (ScheduleSpec s : runbook.get().schedules()) {
        entries.addAll(
            CronIntervals.entriesFor(
                runbook.get(), s.name(), s.cron(), s.timezone(), s.jitter(), s.params()));
      }
    }
    return new CronIntervals(entries);
  }
}
