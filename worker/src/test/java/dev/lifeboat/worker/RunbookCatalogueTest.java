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
    ActionRegistry registry = registry();
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
  void theMemberRunbooksRefuseEveryMemberThatIsNotAWholeNumberOfAtLeastZero() {
    ActionRegistry registry = registry();
    List<LoadedRunbook> all =
        new RunbookLoader(registry.signatures()).loadDirectory(Path.of("..", "runbooks"));
    for (String name : List.of("member-backup", "member-restore")) {
      dev.lifeboat.runbook.Runbook rb =
          all.stream()
              .filter(r -> r.name().equals(name))
              .findFirst()
              .flatMap(LoadedRunbook::runbook)
              .orElseThrow();
      // the member becomes part of StatefulSet, PVC and pod names: only 0, 1, 2, ... reach them
      for (String hostile :
          List.of(
              "-1",
              "--all",
              "1; rm -rf /",
              "1 -n kube-system",
              "${params.namespace}",
              "{{ member }}",
              "1e3",
              "0x10",
              "99999999999999999999")) {
        dev.lifeboat.runbook.ParamBinder.InvalidParam e =
            org.assertj.core.api.Assertions.catchThrowableOfType(
                dev.lifeboat.runbook.ParamBinder.InvalidParam.class,
                () ->
                    dev.lifeboat.runbook.ParamBinder.bind(rb, java.util.Map.of("member", hostile)));
        assertThat(e).as("%s member=%s", name, hostile).isNotNull();
        assertThat(e.param()).isEqualTo("member");
      }
      assertThat(dev.lifeboat.runbook.ParamBinder.bind(rb, java.util.Map.of("member", "0")))
          .containsEntry("member", 0L);
    }
  }

  @Test
  void localBackupTakesOnlyTrueOrFalseForFull() {
    dev.lifeboat.runbook.Runbook rb =
        new RunbookLoader(registry().signatures())
            .loadDirectory(Path.of("..", "runbooks")).stream()
                .filter(r -> r.name().equals("local-backup"))
                .findFirst()
                .flatMap(LoadedRunbook::runbook)
                .orElseThrow();
    // full reaches the backup action's Boolean argument: nothing but a truth value gets there
    for (String hostile :
        List.of("--help", "true; rm -rf /", "yes", "1", "${params.path}", "{{ full }}")) {
      dev.lifeboat.runbook.ParamBinder.InvalidParam e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              dev.lifeboat.runbook.ParamBinder.InvalidParam.class,
              () ->
                  dev.lifeboat.runbook.ParamBinder.bind(
                      rb, java.util.Map.of("path", "/tmp/src", "full", hostile)));
      assertThat(e).as("full=%s", hostile).isNotNull();
      assertThat(e.param()).isEqualTo("full");
    }
    assertThat(
            dev.lifeboat.runbook.ParamBinder.bind(
                rb, java.util.Map.of("path", "/tmp/src", "full", "true")))
        .containsEntry("full", true);
    assertThat(dev.lifeboat.runbook.ParamBinder.bind(rb, java.util.Map.of("path", "/tmp/src")))
        .containsEntry("full", false);
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

  @Test
  void localRestoreRefusesAnArchiveThatIsNeitherAPathNorAnArchiveNameBeforeItStarts() {
    ActionRegistry registry = registry();
    RunbookLoader loader = new RunbookLoader(registry.signatures());
    dev.lifeboat.runbook.Runbook rb =
        loader.loadDirectory(Path.of("..", "runbooks")).stream()
            .filter(r -> r.name().equals("local-restore"))
            .findFirst()
            .flatMap(LoadedRunbook::runbook)
            .orElseThrow();
    for (String hostile : List.of("../names/x.tar.gz", "--help", "latest2", "x.tar.gz")) {
      java.util.Map<String, Object> params =
          java.util.Map.of("path", "/tmp/restored", "source", "home", "archive", hostile);
      dev.lifeboat.runbook.ParamBinder.InvalidParam e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              dev.lifeboat.runbook.ParamBinder.InvalidParam.class,
              () ->
                  dev.lifeboat.runbook.ArgRules.checkParams(
                      rb, loader.actions(), dev.lifeboat.runbook.ParamBinder.bind(rb, params)));
      assertThat(e).as("archive=%s", hostile).isNotNull();
      assertThat(e.param()).isEqualTo("archive");
      assertThat(e.getMessage())
          .contains("'" + hostile + "' is not valid for 'archive', which takes an absolute path")
          .doesNotContain("\\d{8}");
    }
    for (String fine :
        List.of(
            "20261122T001500Z.tar.gz",
            "20261122T001500Z.tar.zst",
            "20261122T001500Z",
            "latest",
            "/mnt/usb/lifeboat/local/home/20261122T001500Z.tar.gz")) {
      dev.lifeboat.runbook.ArgRules.checkParams(
          rb,
          loader.actions(),
          dev.lifeboat.runbook.ParamBinder.bind(
              rb, java.util.Map.of("path", "/tmp/restored", "source", "home", "archive", fine)));
    }
  }

  @Test
  void clusterRebuildRefusesAnsiblesOwnVariablesBeforeItStarts() {
    ActionRegistry registry = registry();
    RunbookLoader loader = new RunbookLoader(registry.signatures());
    dev.lifeboat.runbook.Runbook rb =
        loader.loadDirectory(Path.of("..", "runbooks")).stream()
            .filter(r -> r.name().equals("cluster-rebuild"))
            .findFirst()
            .flatMap(LoadedRunbook::runbook)
            .orElseThrow();
    // extra variables outrank the inventory: an interpreter or shell named here is run as root
    for (String key :
        List.of(
            "ansible_python_interpreter",
            "ANSIBLE_SHELL_EXECUTABLE",
            "ansible_become_exe",
            "hostvars",
            "omit",
            "a-b",
            "{{ x }}",
            "9lives")) {
      for (String param : List.of("kubernetesVars", "storageVars")) {
        java.util.Map<String, Object> params =
            java.util.Map.of(param, java.util.Map.of(key, "id > /tmp/owned; /usr/bin/python3"));
        dev.lifeboat.runbook.ParamBinder.InvalidParam e =
            org.assertj.core.api.Assertions.catchThrowableOfType(
                dev.lifeboat.runbook.ParamBinder.InvalidParam.class,
                () ->
                    dev.lifeboat.runbook.ArgRules.checkParams(
                        rb, loader.actions(), dev.lifeboat.runbook.ParamBinder.bind(rb, params)));
        assertThat(e).as("%s key %s", param, key).isNotNull();
        assertThat(e.param()).isEqualTo(param);
        assertThat(e.getMessage()).contains("key '" + key + "' is not valid for 'extraVars'");
      }
    }
    dev.lifeboat.runbook.ArgRules.checkParams(
        rb,
        loader.actions(),
        dev.lifeboat.runbook.ParamBinder.bind(
            rb,
            java.util.Map.of(
                "kubernetesVars",
                java.util.Map.of("kubernetes_version", "v1.31", "lifeboat_root", "/srv"))));
  }

  /** The worker's actions, without a cluster. */
  private ActionRegistry registry() {
    return StandardActions.create(
        WorkerSettings.of(repository, Path.of("..", "runbooks", "playbooks")),
        () -> {
          throw new IllegalStateException("no cluster in this test");
        });
  }
}
