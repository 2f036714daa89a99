package dev.lifeboat.api.health;

import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.ScheduleSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The schedules of the runbooks as loaded now: a reload that adds, edits or removes a schedule
 * changes the health rule at the next check, with no wiring of its own.
 */
public final class CatalogIntervals implements ScheduleIntervals {
  private final RunbookCatalog catalog;

  public CatalogIntervals(RunbookCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  public Optional<Expected> expected(String set, String source) {
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
    return new CronIntervals(entries).expected(set, source);
  }
}
