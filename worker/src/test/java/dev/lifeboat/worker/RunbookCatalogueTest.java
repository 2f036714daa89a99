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

  /** Every shipped runbook by name, valid ones only. */
  private java.util.Map<String, dev.lifeboat.runbook.Runbook> shipped(RunbookLoader loader) {
    java.util.Map<String, dev.lifeboat.runbook.Runbook> out = new java.util.LinkedHashMap<>();
    for (LoadedRunbook r : loader.loadDirectory(Path.of("..", "runbooks"))) {
      r.runbook().ifPresent(rb -> out.put(rb.name(), rb));
    }
    return out;
  }

  /**
   * What a start does with {@code params}: bind, then check against the arguments and child
   * runbooks they flow into. Returns the refusal, null when the start would go ahead.
   */
  private dev.lifeboat.runbook.ParamBinder.InvalidParam start(
      String runbook, java.util.Map<String, Object> params) {
    RunbookLoader loader = new RunbookLoader(registry().signatures());
    java.util.Map<String, dev.lifeboat.runbook.Runbook> all = shipped(loader);
    dev.lifeboat.runbook.Runbook rb = all.get(runbook);
    return org.assertj.core.api.Assertions.catchThrowableOfType(
        dev.lifeboat.runbook.ParamBinder.InvalidParam.class,
        () ->
            dev.lifeboat.runbook.ArgRules.checkParams(
                rb, loader.actions(), dev.lifeboat.runbook.ParamBinder.bind(rb, params), all));
  }

  private void refused(
      String runbook, java.util.Map<String, Object> params, String param, String... says) {
    dev.lifeboat.runbook.ParamBinder.InvalidParam e = start(runbook, params);
    assertThat(e).as("%s %s", runbook, params).isNotNull();
    assertThat(e.param()).as(e.getMessage()).isEqualTo(param);
    assertThat(e.getMessage()).contains(says);
  }

  @Test
  void listItemsThatLackTheFieldsTheirStepsUseAreRefusedBeforeTheRunStarts() {
    refused(
        "cluster-rebuild",
        java.util.Map.of("releases", "a,b"),
        "releases",
        "releases[0]: expected an object with name, chart, namespace");
    refused(
        "cluster-rebuild",
        java.util.Map.of("workloads", List.of("x")),
        "workloads",
        "workloads[0]: expected an object with namespace, kind, name");
    refused(
        "cluster-rebuild",
        java.util.Map.of(
            "releases",
            List.of(java.util.Map.of("name", "x", "chart", "--set=a", "namespace", "ml"))),
        "releases",
        "releases[0]: step 'redeploy' passes it to helm-upgrade's chart");
    refused(
        "cluster-rebuild",
        java.util.Map.of(
            "workloads",
            List.of(java.util.Map.of("namespace", "ml", "kind", "Secret", "name", "x"))),
        "workloads",
        "workloads[0]: step 'ready' passes it to wait-ready's kind");
    refused(
        "cluster-rebuild",
        java.util.Map.of(
            "releases",
            List.of(java.util.Map.of("name", "x", "chart", "a/b", "namespace", "Foo_Bar."))),
        "releases",
        "releases[0].namespace: 'Foo_Bar.' is not a Kubernetes name");
    refused(
        "hardware-loss",
        java.util.Map.of("repos", List.of("x")),
        "repos",
        "repos[0]: expected an object with name, url, dir");
    refused(
        "hardware-loss",
        java.util.Map.of(
            "repos",
            List.of(java.util.Map.of("name", "p", "url", "--upload-pack=x", "dir", "/srv/p"))),
        "repos",
        "repos[0].url");
    // passed on to cluster-rebuild, which checks them before hardware-loss asks anyone for anything
    refused(
        "hardware-loss",
        java.util.Map.of("releases", "a,b"),
        "releases",
        "runbook cluster-rebuild's parameter 'releases'",
        "releases[0]: expected an object");
    refused(
        "hardware-loss",
        java.util.Map.of("workloads", List.of("x")),
        "workloads",
        "runbook cluster-rebuild's parameter 'workloads'");
    refused(
        "members-backup-all",
        java.util.Map.of("members", List.of("--help", "-1")),
        "members",
        "members[0]: '--help' is not an integer");
    refused(
        "members-restore-all",
        java.util.Map.of("members", "1,-1"),
        "members",
        "members[1]: must be at least 0");
    assertThat(start("cluster-rebuild", java.util.Map.of())).isNull();
    assertThat(start("hardware-loss", java.util.Map.of())).isNull();
    assertThat(start("members-backup-all", java.util.Map.of("members", "0,1,2"))).isNull();
  }

  @Test
  void restoreDrillRefusesASourceWithoutItsSetBeforeItStarts() {
    refused(
        "restore-drill",
        java.util.Map.of("source", "nb"),
        "source",
        "restore-drill's source, which needs set too (give parameter 'set')");
    assertThat(start("restore-drill", java.util.Map.of("source", "nb", "set", "tier1"))).isNull();
    assertThat(start("restore-drill", java.util.Map.of("set", "tier1"))).isNull();
  }

  @Test
  void aWorkloadIsAKindTheActionsKnowSlashAKubernetesName() {
    for (String hostile :
        List.of(
            "deployment/../../../../api/v1/namespaces/kube-system/secrets",
            "deployment/x?labelSelector=a",
            "deployment/a b",
            "--all",
            "secret/foo",
            "statefulset/x\u0000")) {
      refused("tier2-full", java.util.Map.of("workload", hostile), "workload", "is not a workload");
      refused(
          "notebooks-restore", java.util.Map.of("workload", hostile), "workload", "not a workload");
      refused(
          "tier1-critical",
          java.util.Map.of("datasetsWorkload", hostile),
          "datasetsWorkload",
          "not a workload");
      refused(
          "cluster-rebuild",
          java.util.Map.of("dataWorkload", hostile),
          "dataWorkload",
          "not a workload");
      refused(
          "hardware-loss",
          java.util.Map.of("dataWorkload", hostile),
          "dataWorkload",
          "not a workload");
    }
    assertThat(start("tier2-full", java.util.Map.of("workload", "statefulset/data-0"))).isNull();
  }

  @Test
  void namesAreWhatKubernetesTakesAndDerivedNamesStayShortEnough() {
    for (String hostile : List.of("Foo_Bar.", "a..b", "-n", "a".repeat(64))) {
      refused(
          "tier2-full",
          java.util.Map.of("namespace", hostile),
          "namespace",
          "is not a Kubernetes name");
    }
    refused(
        "member-backup",
        java.util.Map.of("member", 1, "prefix", "p".repeat(300)),
        "prefix",
        "is not a Kubernetes name");
    // each part fits, the StatefulSet name they make does not
    refused(
        "member-backup",
        java.util.Map.of("member", 1234, "prefix", "p".repeat(60)),
        "prefix",
        "step 'preflight' passes it to preflight's statefulsets");
    refused(
        "members-backup-all",
        java.util.Map.of("members", "1234", "prefix", "p".repeat(60)),
        "prefix",
        "runbook member-backup");
    assertThat(start("member-backup", java.util.Map.of("member", 1234, "prefix", "p".repeat(59))))
        .isNull();
    // the Ansible connection plugin is no Kubernetes name: local, ssh, a collection's
    for (String ok : List.of("local", "paramiko_ssh", "community.docker.docker")) {
      assertThat(start("cluster-rebuild", java.util.Map.of("connection", ok))).isNull();
    }
    refused(
        "cluster-rebuild",
        java.util.Map.of("connection", "--ssh-extra-args=-oProxyCommand=x"),
        "connection",
        "ansible's connection");
    refused(
        "hardware-loss",
        java.util.Map.of("connection", "local -e x"),
        "connection",
        "cluster-rebuild");
  }

  @Test
  void theAnsibleInventoryIsCheckedBeforeTheRebuildStarts() {
    // a hostile inventory was refused only by the ansible step, after the backup was verified
    for (String hostile :
        List.of(
            "/etc/ansible/hosts",
            "../../etc/hosts",
            "inventory/../../x",
            "-i/tmp/evil",
            "localhost,$(id),",
            "node1,--ssh-extra-args=x",
            "inventory/hosts.ini,")) {
      refused(
          "cluster-rebuild",
          java.util.Map.of("inventory", hostile),
          "inventory",
          "step 'rebuild' passes it to ansible's inventory: '" + hostile + "' is not valid");
      refused(
          "hardware-loss",
          java.util.Map.of("inventory", hostile),
          "inventory",
          "runbook cluster-rebuild");
    }
    for (String fine :
        List.of(
            "inventory/hosts.ini",
            "inventory/",
            "hosts.ini",
            "localhost,",
            "node1, node2",
            "10.0.0.5:2222, node_3,")) {
      assertThat(start("cluster-rebuild", java.util.Map.of("inventory", fine))).as(fine).isNull();
    }
  }

  @Test
  void fetchOffsiteRefusesAnArchiveNameBeforeARunStarts() {
    dev.lifeboat.runbook.ArgSpec archive =
        registry().signatures().stream()
            .filter(a -> a.name().equals("fetch-offsite"))
            .findFirst()
            .orElseThrow()
            .args()
            .get("archive");
    for (String hostile : List.of("../../etc", "a/b", "--help", "x..y", "/etc/passwd")) {
      assertThat(dev.lifeboat.runbook.ArgRules.problem(archive, hostile))
          .as(hostile)
          .hasValueSatisfying(why -> assertThat(why).contains("is not valid for 'archive'"));
    }
    for (String fine :
        List.of("", "20261122T020000Z", "20261122T020000Z.tar.gz", "20261122T020000Z.tar.zst")) {
      assertThat(dev.lifeboat.runbook.ArgRules.problem(archive, fine)).as(fine).isEmpty();
    }
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
