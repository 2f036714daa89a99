package dev.lifeboat.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.RunbookLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every runbook shipped in runbooks/ loads against the actions a standard worker offers. */
class RunbookCatalogueTest {
  @TempDir Path repository;

  @Test
  void shippedRunbooksAreValid() {
    ActionRegistry registry =
        StandardActions.create(
            WorkerSettings.of(repository, Path.of("..", "runbooks", "playbooks")),
            () -> {
              throw new IllegalStateException("no cluster in this test");
            });
    List<LoadedRunbook> all =
        new RunbookLoader(registry.signatures()).loadDirectory(Path.of("..", "runbooks"));
    assertThat(all)
        .extracting(LoadedRunbook::name)
        .contains(
            "local-backup",
            "local-restore",
            "member-backup",
            "member-restore",
            "members-backup-all",
            "members-restore-all",
            "tier1-critical",
            "tier2-full",
            "tier3-infra",
            "notebooks-restore",
            "cluster-rebuild",
            "hardware-loss",
            "restore-drill");
    for (LoadedRunbook r : all) {
      assertThat(r).as(r.toString()).isInstanceOf(LoadedRunbook.Valid.class);
    }
  }

  @Test
  void offsiteActionsExplainWhatIsMissingWhenNotConfigured() {
    ActionRegistry registry =
        StandardActions.create(WorkerSettings.of(repository, repository), () -> null);
    assertThat(registry.find("sync-offsite")).isPresent();
    assertThat(registry.find("sync-offsite").orElseThrow().description())
        .contains("no offsite copy is configured");
    assertThat(Files.isDirectory(repository)).isTrue();
  }
}
