package dev.lifeboat.activities.action;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.kubernetes.ScaleWorkload;
import dev.lifeboat.activities.local.BackupAction;
import dev.lifeboat.activities.local.PruneAction;
import dev.lifeboat.runbook.ActionSignature;
import dev.lifeboat.runbook.ArgRules;
import dev.lifeboat.runbook.ArgSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Constraints declared once on an action's argument record reach the signature the loader and API
 * check.
 */
class ArgConstraintsTest {
  @Test
  void annotationsBecomeArgSpecConstraints(@TempDir Path repo) {
    ActionRegistry registry =
        new ActionRegistry()
            .register(new PruneAction(new Repository(repo)))
            .register(new ScaleWorkload(() -> null))
            .register(new BackupAction(new Repository(repo)));
    Map<String, ActionSignature> byName = new java.util.LinkedHashMap<>();
    registry.signatures().forEach(s -> byName.put(s.name(), s));

    ArgSpec keepWithin = byName.get("prune").args().get("keepWithin");
    assertThat(keepWithin.type()).isEqualTo("duration");
    assertThat(keepWithin.positive()).isTrue();
    assertThat(ArgRules.problem(keepWithin, "0s")).get().asString().contains("longer than 0");
    assertThat(ArgRules.problem(keepWithin, "30d")).isEmpty();

    ArgSpec keepLast = byName.get("prune").args().get("keepLast");
    assertThat(ArgRules.problem(keepLast, 0L)).isPresent();
    assertThat(ArgRules.problem(keepLast, 1L)).isEmpty();

    ArgSpec replicas = byName.get("scale").args().get("replicas");
    assertThat(replicas.min()).isEqualTo(0L);
    assertThat(ArgRules.problem(replicas, -1L)).isPresent();
    assertThat(ArgRules.problem(replicas, 0L)).isEmpty();

    assertThat(byName.get("backup").args().get("from").oneOf())
        .isEqualTo(List.of("local", "pod", "pvc"));
    assertThat(byName.get("prune").args().get("set").positive()).isFalse();
    ArgSpec compression = byName.get("backup").args().get("compression");
    assertThat(compression.oneOf()).isEqualTo(List.of("gzip", "zstd"));
    assertThat(ArgRules.problem(compression, "lz4")).get().asString().contains("gzip, zstd");
  }
}
