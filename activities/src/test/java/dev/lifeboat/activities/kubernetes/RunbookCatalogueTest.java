package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.RunbookLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes runbooks load against the Kubernetes actions plus the argument lists this branch
 * expects of backup, verify and restore (stand-ins until the archive actions are merged).
 */
class RunbookCatalogueTest {
  @Test
  void kubernetesRunbooksAreValid() {
    ActionRegistry registry = new ActionRegistry();
    KubernetesActions.all(() -> null).forEach(registry::register);
    StandInArchiveActions.all(() -> null, new MemoryArchives()).forEach(registry::register);
    RunbookLoader loader = new RunbookLoader(registry.signatures());
    for (String name : List.of("member-backup", "member-restore", "members-backup-all", "members-restore-all",
        "tier1-critical", "tier2-full", "tier3-infra", "notebooks-restore")) {
      LoadedRunbook r = loader.load(Path.of("..", "runbooks", name + ".yaml"));
      assertThat(r).as(r.toString()).isInstanceOf(LoadedRunbook.Valid.class);
      assertThat(r.name()).isEqualTo(name);
    }
  }
}
