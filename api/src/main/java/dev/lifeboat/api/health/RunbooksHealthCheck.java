package dev.lifeboat.api.health;

import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.runbook.LoadedRunbook;
import java.util.List;

/** Every runbook file is valid; an invalid one turns this red with file, line and reason. */
public final class RunbooksHealthCheck extends HealthCheck {
  private final RunbookCatalog catalog;

  public RunbooksHealthCheck(RunbookCatalog catalog) {
    this.catalog = catalog;
  }

  @Override
  protected Result check() {
    List<String> bad =
        catalog.all().stream()
            .filter(r -> r instanceof LoadedRunbook.Invalid)
            .map(r -> (LoadedRunbook.Invalid) r)
            .map(i -> i.file() + (i.line() > 0 ? ":" + i.line() : "") + ": " + i.reason())
            .toList();
    if (bad.isEmpty()) {
      return Result.healthy(catalog.all().size() + " runbooks loaded");
    }
    return Result.unhealthy("invalid runbooks: " + String.join("; ", bad));
  }
}
