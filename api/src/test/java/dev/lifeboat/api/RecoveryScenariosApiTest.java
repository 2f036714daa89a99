package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.activities.kubernetes.ExportResources;
import dev.lifeboat.activities.kubernetes.MockCluster;
import dev.lifeboat.activities.offsite.OffsiteConfig;
import dev.lifeboat.activities.offsite.Rclone;
import dev.lifeboat.activities.offsite.SyncOffsite;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The recovery scenarios end to end through the API, on the runbooks shipped in {@code runbooks/}:
 * Kubernetes is a fabric8 mock API server with a simulated controller, kubelet and exec (PVCs are
 * local directories), Ansible is the real ansible-playbook in check mode on localhost, Helm is a
 * stand-in script (the test plays its effect: the Deployments appear), git clones a local bare
 * repository, and the offsite copy is real rclone crypt on a local directory.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class RecoveryScenariosApiTest {
  static final Path WORK = TestFolders.temp("scenarios");
  static final MockCluster CLUSTER = startCluster();

  /** The old machine's external drive. */
  static final Path DRIVE = WORK.resolve("drive");

  /** The configured repository of the (new) machine. */
  static final Path REPOSITORY = WORK.resolve("repository");

  /** A drive that holds the full backup but not the tier-3 export the claims come from. */
  static final Path HALF_DRIVE = WORK.resolve("half-drive");

  static final Path OFFSITE = WORK.resolve("offsite");
  static final String PASSWORD = "correct horse battery staple";
  static final Path PASSWORD_FILE = privateFile(WORK.resolve("offsite-password"), PASSWORD);
  static final Path HELM_LOG = WORK.resolve("helm.log");

  /** A file per release that helm's (simulated) install has finished. */
  static final Path HELM_DONE = WORK.resolve("helm-done");

  static final Path HELM = helmStandIn();
  static final Path OLD_SHARED = WORK.resolve("old-shared");
  static final Path BARE_REPO = WORK.resolve("platform.git");

  /**
   * The shipped runbooks, with the helm stand-in added to their allowed programs as their author
   * would.
   */
  static final Path RUNBOOKS = shippedRunbooksAllowing(HELM);

  static final ScheduledExecutorService HELM_EFFECT = Executors.newSingleThreadScheduledExecutor();

  static {
    try {
      makeBackupsOfTheOldMachine();
      makeBareRepository();
    } catch (Exception e) {
      throw new IllegalStateException("fixture", e);
    }
    HELM_EFFECT.scheduleWithFixedDelay(
        RecoveryScenariosApiTest::playHelm, 100, 100, TimeUnit.MILLISECONDS);
  }

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", RUNBOOKS.toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()),
          // hardware-loss restores by absolute path from the old machine's drive, or from where it
          // fetched the
          // offsite copy: both must be archive roots
          ConfigOverride.config("archiveRoots", DRIVE + ":" + WORK.resolve("fetched")),
          ConfigOverride.config("offsite.type", "local"),
          ConfigOverride.config("offsite.remotePath", OFFSITE.toString()),
          ConfigOverride.config("offsite.passwordFile", PASSWORD_FILE.toString()),
          // the helm stand-in is configuration, as a real helm would be: runs cannot choose the
          // program
          ConfigOverride.config("helm", HELM.toString()));

  ApiClient api;

  /**
   * The app builds its Kubernetes client with fabric8's default builder: point that at the mock.
   */
  static MockCluster startCluster() {
    MockCluster c = new MockCluster(WORK.resolve("volumes"));
    System.setProperty("kubernetes.master", c.client.getMasterUrl().toString());
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    return c;
  }

  /**
   * What the old machine left: a full backup and a tier-3 export, on its drive and in the offsite
   * copy.
   */
  static void makeBackupsOfTheOldMachine() throws Exception {
    write(
        OLD_SHARED.resolve("notebooks/transformer-training.ipynb"), "{\"cells\": [\"attention\"]}");
    write(OLD_SHARED.resolve("models/bert/config.json"), "{\"hidden\": 768}");
    write(OLD_SHARED.resolve("datasets/unique/labels.csv"), "id,label\n1,cat\n");

    CLUSTER.namespace("ml-workspace");
    CLUSTER.namespace("jupyter");
    CLUSTER
        .client
        .persistentVolumeClaims()
        .inNamespace("ml-workspace")
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("shared")
                .withNamespace("ml-workspace")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteMany")
                .withStorageClassName("juicefs-sc")
                .withVolumeName("pvc-of-the-lost-cluster")
                .withNewResources()
                .addToRequests("storage", new Quantity("100Gi"))
                .endResources()
                .endSpec()
                .build())
        .create();
    CLUSTER.pvc("jupyter", "hub-db", "ReadWriteOnce");
    Path export = WORK.resolve("export");
    ActionDispatcher.invoke(
        new ExportResources(() -> CLUSTER.client),
        Map.of(
            "path",
            export.toString(),
            "helm",
            false,
            "hostsFile",
            WORK.resolve("no-hosts").toString()),
        new LocalActionContext("export"));
    wipeCluster();

    for (Path root : List.of(DRIVE, REPOSITORY)) {
      Repository r =
          new Repository(root, Clock.fixed(Instant.parse("2026-11-22T04:00:00Z"), ZoneOffset.UTC));
      r.writeFromDirectory(
          "tier2", "shared", OLD_SHARED, List.of(), List.of(), ProgressListener.NONE);
      new Repository(root, Clock.fixed(Instant.parse("2026-11-01T05:00:00Z"), ZoneOffset.UTC))
          .writeFromDirectory(
              "tier3", "infra", export, List.of(), List.of(), ProgressListener.NONE);
    }
    new Repository(HALF_DRIVE, Clock.fixed(Instant.parse("2026-11-22T04:00:00Z"), ZoneOffset.UTC))
        .writeFromDirectory(
            "tier2", "shared", OLD_SHARED, List.of(), List.of(), ProgressListener.NONE);
    OffsiteConfig offsite = OffsiteConfig.localDirectory(OFFSITE, PASSWORD, null, DRIVE);
    Map<String, Object> synced =
        ActionDispatcher.invoke(
            new SyncOffsite(new Rclone(ProgramRunner.fromEnvironment()), offsite),
            Map.of(),
            new LocalActionContext("sync"));
    assertThat(synced.get("status")).as("offsite sync " + synced).isNotEqualTo("skipped");
  }

  static void makeBareRepository() throws Exception {
    Path work = WORK.resolve("platform-work");
    git(WORK, "init", "--bare", "--initial-branch=main", BARE_REPO.toString());
    git(WORK, "init", "--initial-branch=main", work.toString());
    write(work.resolve("README.md"), "thinkube platform: playbooks and inventory\n");
    git(work, "add", "README.md");
    git(
        work,
        "-c",
        "user.name=Lifeboat Test",
        "-c",
        "user.email=test@lifeboat.invalid",
        "commit",
        "-q",
        "-m",
        "first");
    git(work, "push", "-q", BARE_REPO.toUri().toString(), "main");
  }

  /**
   * A program named like helm that records how it was called and, like {@code helm --wait}, returns
   * once the release's objects exist (the test creates them, see {@link #playHelm}).
   */
  static Path helmStandIn() {
    Path script = WORK.resolve("bin/helm");
    write(
        script,
        "#!/bin/sh\n"
            + "echo \"$*\" >> '"
            + HELM_LOG
            + "'\n"
            + "while [ \"$1\" != -- ]; do shift; done; release=$2\n"
            + "i=0\n"
            + "while [ ! -f '"
            + HELM_DONE
            + "'/\"$release\" ]; do i=$((i+1)); [ $i -gt 300 ] && exit 1; sleep 0.1; done\n"
            + "echo \"Release \\\"$release\\\" has been upgraded. Happy Helming!\"\n");
    try {
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return script;
  }

  /**
   * What a real helm install would leave: the release's Deployment (the mock controller then runs
   * its pod).
   */
  static void playHelm() {
    try {
      if (!Files.exists(HELM_LOG)) {
        return;
      }
      for (String line : Files.readAllLines(HELM_LOG)) {
        if (line.endsWith(" -- data-pod thinkube/data-pod")) {
          if (absent("ml-workspace", "data-pod")) {
            CLUSTER.deployment("ml-workspace", "data-pod", 1, "/mnt/shared", "shared");
          }
          write(HELM_DONE.resolve("data-pod"), "");
        } else if (line.endsWith(" -- jupyterhub jupyterhub/jupyterhub")) {
          if (absent("jupyter", "hub")) {
            CLUSTER.deployment("jupyter", "hub", 1, "/srv/jupyterhub", "hub-db");
          }
          write(HELM_DONE.resolve("jupyterhub"), "");
        }
      }
    } catch (Exception e) {
      // next round
    }
  }

  static boolean absent(String ns, String name) {
    return CLUSTER.client.apps().deployments().inNamespace(ns).withName(name).get() == null;
  }

  @AfterAll
  static void stopCluster() {
    HELM_EFFECT.shutdownNow();
    CLUSTER.close();
  }

  @BeforeEach
  void lostCluster() throws IOException {
    api = new ApiClient(APP.getLocalPort());
    wipeCluster();
    Files.deleteIfExists(HELM_LOG);
    deleteTree(HELM_DONE);
    deleteTree(CLUSTER.volumes);
  }

  static void wipeCluster() {
    var c = CLUSTER.client;
    c.apps().deployments().inAnyNamespace().delete();
    c.apps().statefulSets().inAnyNamespace().delete();
    c.pods().inAnyNamespace().delete();
    c.persistentVolumeClaims().inAnyNamespace().delete();
    c.namespaces().delete();
  }

  // ------------------------------------------------------------------ scenarios

  @Test
  void clusterRebuildRestoresTheLatestBackupsIntoFreshClaimsAndRedeploys() {
    String id = start("cluster-rebuild", "{" + commonParams() + "}");
    JsonNode run = awaitEnd(id, Duration.ofMinutes(4));

    assertThat(run.get("status").asText()).as(run.toPrettyString()).isEqualTo("COMPLETED");
    assertThat(stepIds(run))
        .containsExactly(
            "checkData",
            "rebuild",
            "storage",
            "pvcs",
            "restore",
            "redeploy",
            "ready",
            "verifyData",
            "redeploy[data-pod]",
            "redeploy[jupyterhub]",
            "ready[data-pod]",
            "ready[hub]");
    assertEveryStepTimed(run);
    assertThat(step(run, "rebuild").get("output").get("check").asBoolean()).isTrue();
    assertThat(step(run, "rebuild").get("output").get("hosts").has("localhost")).isTrue();
    assertThat(step(run, "storage").get("output").get("taskNames").toString())
        .contains("Write the storage configuration");
    assertThat(step(run, "verifyData").get("output").toString())
        .as("files in the pod checked against the manifest")
        .contains("\"files\":3");
    assertThat(step(run, "pvcs").get("output").get("names").toString())
        .contains(
            "ml-workspace/PersistentVolumeClaim/shared", "jupyter/PersistentVolumeClaim/hub-db");
    assertThat(step(run, "checkData").get("output").get("archive").asText())
        .isEqualTo(REPOSITORY.resolve("tier2/shared/20261122T040000Z.tar.gz").toString());
    assertRecovered();
  }

  @Test
  void hardwareLossWithTheDriveRestoresFromIt() throws Exception {
    Path clone = WORK.resolve("src-drive/thinkube-platform");
    String id =
        start(
            "hardware-loss",
            "{"
                + commonParams()
                + ", \"drive\": \""
                + DRIVE
                + "\", \"repos\": "
                + repos(clone)
                + "}");
    approveHumanSteps(id);
    JsonNode run = awaitEnd(id, Duration.ofMinutes(4));

    assertThat(run.get("status").asText()).as(run.toPrettyString()).isEqualTo("COMPLETED");
    assertThat(stepIds(run))
        .containsExactly(
            "replaceHardware",
            "reinstallOs",
            "cloneRepos",
            "drive",
            "driveInfra",
            "fetchData",
            "fetchInfra",
            "rebuildFromDrive",
            "rebuildFromOffsite",
            "cloneRepos[platform]");
    assertThat(Files.readString(clone.resolve("README.md"))).contains("thinkube platform");
    assertThat(step(run, "drive").get("output").get("available").asBoolean()).isTrue();
    assertThat(step(run, "fetchData").get("state").asText()).isEqualTo("SKIPPED");
    assertThat(step(run, "fetchData").get("message").asText())
        .isEqualTo("skipped: ${steps.drive.missing} is false");
    assertThat(step(run, "rebuildFromOffsite").get("state").asText()).isEqualTo("SKIPPED");
    assertThat(step(run, "rebuildFromDrive").get("state").asText()).isEqualTo("SUCCEEDED");

    JsonNode child = childRun(run, "rebuildFromDrive");
    assertThat(child.get("status").asText()).isEqualTo("COMPLETED");
    assertEveryStepTimed(child);
    assertThat(step(child, "checkData").get("output").get("archive").asText())
        .isEqualTo(DRIVE.resolve("tier2/shared/20261122T040000Z.tar.gz").toString());
    assertThat(step(child, "pvcs").get("output").get("from").asText())
        .isEqualTo(DRIVE.resolve("tier3/infra/20261101T050000Z.tar.gz").toString());
    assertRecovered();
  }

  @Test
  void hardwareLossWithoutTheDriveFetchesTheOffsiteCopy() throws Exception {
    Path fetched = WORK.resolve("fetched");
    Path clone = WORK.resolve("src-offsite/thinkube-platform");
    String id =
        start(
            "hardware-loss",
            "{"
                + commonParams()
                + ", \"drive\": \""
                + WORK.resolve("no-drive")
                + "\", \"fetchInto\": \""
                + fetched
                + "\", \"repos\": "
                + repos(clone)
                + "}");
    approveHumanSteps(id);
    JsonNode run = awaitEnd(id, Duration.ofMinutes(4));

    assertThat(run.get("status").asText()).as(run.toPrettyString()).isEqualTo("COMPLETED");
    assertThat(step(run, "drive").get("output").get("available").asBoolean()).isFalse();
    assertThat(step(run, "drive").get("output").get("reason").asText())
        .contains("no-drive is not there");
    assertThat(step(run, "fetchData").get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(step(run, "fetchData").get("output").get("path").asText())
        .isEqualTo(fetched.resolve("tier2/shared/20261122T040000Z.tar.gz").toString());
    assertThat(step(run, "fetchInfra").get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(step(run, "rebuildFromDrive").get("state").asText()).isEqualTo("SKIPPED");
    assertThat(step(run, "rebuildFromDrive").get("message").asText())
        .isEqualTo("skipped: ${steps.drive.available} is false");
    assertThat(step(run, "rebuildFromOffsite").get("state").asText()).isEqualTo("SUCCEEDED");
    assertEveryStepTimed(run);

    JsonNode child = childRun(run, "rebuildFromOffsite");
    assertThat(step(child, "checkData").get("output").get("archive").asText())
        .isEqualTo(fetched.resolve("tier2/shared/20261122T040000Z.tar.gz").toString());
    assertThat(step(child, "pvcs").get("output").get("from").asText())
        .isEqualTo(fetched.resolve("tier3/infra/20261101T050000Z.tar.gz").toString());
    assertRecovered();
  }

  @Test
  void hardwareLossWithADriveWithoutTheClaimsStopsBeforeRebuilding() throws Exception {
    String id =
        start(
            "hardware-loss",
            "{"
                + commonParams()
                + ", \"drive\": \""
                + HALF_DRIVE
                + "\", \"repos\": "
                + repos(WORK.resolve("src-half/thinkube-platform"))
                + "}");
    approveHumanSteps(id);
    JsonNode run = awaitEnd(id, Duration.ofMinutes(2));

    assertThat(run.get("status").asText()).as(run.toPrettyString()).isEqualTo("FAILED");
    assertThat(step(run, "drive").get("output").get("available").asBoolean()).isTrue();
    assertThat(step(run, "driveInfra").get("state").asText()).isEqualTo("FAILED");
    assertThat(step(run, "driveInfra").toString())
        .contains("holds no archive of set 'tier3', source 'infra'");
    // no Ansible, no claims, no restore: the rebuild never started
    assertThat(step(run, "rebuildFromDrive").get("state").asText())
        .isIn("PENDING", "SKIPPED")
        .isNotEqualTo("SUCCEEDED");
    assertThat(
            step(run, "rebuildFromDrive").has("output")
                && step(run, "rebuildFromDrive").get("output").has("runId"))
        .isFalse();
    assertThat(step(run, "rebuildFromOffsite").get("state").asText()).isNotEqualTo("SUCCEEDED");
    assertThat(HELM_LOG).doesNotExist();
  }

  @Test
  void aBadParameterIsA400NamingItBeforeAnythingStartsAndThePlanNeverFails() {
    String[][] cases = {
      {"cluster-rebuild", "{\"releases\": \"a,b\"}", "releases", "releases[0]"},
      {"cluster-rebuild", "{\"workloads\": [\"x\"]}", "workloads", "workloads[0]"},
      {
        "cluster-rebuild",
        "{\"inventory\": \"/etc/ansible/hosts\"}",
        "inventory",
        "ansible's inventory"
      },
      {
        "cluster-rebuild",
        "{\"inventory\": \"localhost,$(id),\"}",
        "inventory",
        "ansible's inventory"
      },
      {"hardware-loss", "{\"inventory\": \"../../etc/hosts\"}", "inventory", "cluster-rebuild"},
      {"hardware-loss", "{\"repos\": [\"x\"]}", "repos", "repos[0]"},
      {"hardware-loss", "{\"releases\": [\"x\"]}", "releases", "releases[0]"},
      {"members-backup-all", "{\"members\": [\"--help\", \"-1\"]}", "members", "members[0]"},
      {"restore-drill", "{\"source\": \"nb\"}", "source", "needs set"},
      {"tier2-full", "{\"workload\": \"deployment/../../x\"}", "workload", "not a workload"},
      {"tier2-full", "{\"namespace\": \"Foo_Bar.\"}", "namespace", "not a Kubernetes name"},
      {
        "member-backup",
        "{\"member\": 1234, \"prefix\": \"" + "p".repeat(60) + "\"}",
        "prefix",
        "statefulsets"
      },
    };
    for (String[] c : cases) {
      for (String what : List.of("plan", "runs")) {
        ApiClient.Answer a =
            api.post("/api/runbooks/" + c[0] + "/" + what, "{\"params\": " + c[1] + "}");
        assertThat(a.status()).as(c[0] + "/" + what + " " + c[1] + ": " + a.raw()).isEqualTo(400);
        assertThat(a.body().get("param").asText()).as(a.raw()).isEqualTo(c[2]);
        assertThat(a.body().get("error").asText()).contains(c[3]);
      }
    }
    ApiClient.Answer plan =
        api.post(
            "/api/runbooks/cluster-rebuild/plan",
            "{\"params\": {\"releases\": [{\"name\": \"a\", \"chart\": \"x/a\","
                + " \"namespace\": \"ml\"}]}}");
    assertThat(plan.status()).as(plan.raw()).isEqualTo(200);
    assertThat(plan.raw()).contains("\"release\":\"a\"");
  }

  // ------------------------------------------------------------------ what a recovery must leave

  /**
   * Fresh claims without the old binding, the old files in the shared claim, both releases
   * redeployed.
   */
  private void assertRecovered() {
    PersistentVolumeClaim shared =
        CLUSTER
            .client
            .persistentVolumeClaims()
            .inNamespace("ml-workspace")
            .withName("shared")
            .get();
    assertThat(shared).isNotNull();
    assertThat(shared.getSpec().getVolumeName()).isNull();
    assertThat(shared.getSpec().getStorageClassName()).isEqualTo("juicefs-sc");
    assertThat(CLUSTER.client.namespaces().withName("jupyter").get()).isNotNull();
    assertThat(tree(CLUSTER.pvcDir("ml-workspace", "shared"))).isEqualTo(tree(OLD_SHARED));
    List<String> helm = readLines(HELM_LOG);
    assertThat(helm)
        .containsExactly(
            "upgrade --install --namespace ml-workspace --create-namespace --wait --timeout 900s -- data-pod thinkube/data-pod",
            "upgrade --install --namespace jupyter --create-namespace --wait --timeout 900s -- jupyterhub jupyterhub/jupyterhub");
  }

  static Path shippedRunbooksAllowing(Path helm) {
    Path shipped = Path.of("..", "runbooks").toAbsolutePath().normalize();
    Path copy = WORK.resolve("runbooks");
    try (var files = Files.walk(shipped)) {
      for (Path p : files.toList()) {
        Path to = copy.resolve(shipped.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else if (p.toString().endsWith(".yaml") && p.getParent().equals(shipped)) {
          Files.writeString(
              to, Files.readString(p).replace("allowed: [helm]", "allowed: [helm, " + helm + "]"));
        } else {
          Files.copy(p, to);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return copy;
  }

  private static String commonParams() {
    return "\"inventory\": \"localhost,\", \"connection\": \"local\", \"check\": true";
  }

  private static String repos(Path dir) {
    return "[{\"name\": \"platform\", \"url\": \""
        + BARE_REPO.toUri()
        + "\", \"dir\": \""
        + dir
        + "\"}]";
  }

  private void approveHumanSteps(String id) {
    JsonNode waiting = awaitWaiting(id, "replaceHardware");
    assertThat(step(waiting, "replaceHardware").get("message").asText())
        .contains("Replace the failed hardware")
        .contains("Approve when the machine powers on");
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/approve/replaceHardware", "").status())
        .isEqualTo(202);
    waiting = awaitWaiting(id, "reinstallOs");
    assertThat(step(waiting, "reinstallOs").get("message").asText())
        .contains("Debian 12 or Ubuntu 24.04")
        .contains("hostname thinkube")
        .contains("user 'thinkube'")
        .contains("192.168.1.100")
        .contains("authorized_keys")
        .contains("ssh thinkube@192.168.1.100 true");
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/approve/reinstallOs", "").status())
        .isEqualTo(202);
  }

  // ------------------------------------------------------------------ API helpers

  private String start(String runbook, String params) {
    ApiClient.Answer a =
        api.post("/api/runbooks/" + runbook + "/runs", "{\"params\": " + params + "}");
    assertThat(a.status()).as(a.raw()).isEqualTo(202);
    return a.body().get("id").asText();
  }

  private JsonNode run(String id) {
    return api.get("/api/runs/" + ApiClient.enc(id)).body();
  }

  private JsonNode awaitEnd(String id, Duration atMost) {
    try {
      await()
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                String s = run(id).get("status").asText();
                return s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELED");
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // say where it stands: which step, what it is doing, and the cluster's pods
      throw new AssertionError(
          "run "
              + id
              + " did not end within "
              + atMost
              + ": "
              + run(id).toPrettyString()
              + "\npods: "
              + CLUSTER.client.pods().inAnyNamespace().list().getItems().stream()
                  .map(
                      p ->
                          p.getMetadata().getNamespace()
                              + "/"
                              + p.getMetadata().getName()
                              + " "
                              + (p.getStatus() == null ? "no status" : p.getStatus().getPhase()))
                  .toList(),
          e);
    }
    return run(id);
  }

  private JsonNode awaitWaiting(String id, String stepId) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              JsonNode r = run(id);
              return "WAITING_FOR_APPROVAL".equals(r.get("status").asText())
                  && stepId.equals(r.get("currentStep").asText());
            });
    return run(id);
  }

  private JsonNode childRun(JsonNode run, String stepId) {
    String childId = step(run, stepId).get("output").get("runId").asText();
    return run(childId);
  }

  private static JsonNode step(JsonNode run, String id) {
    for (JsonNode s : run.get("steps")) {
      if (s.get("id").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no step " + id + " in " + run.toPrettyString());
  }

  private static List<String> stepIds(JsonNode run) {
    List<String> out = new ArrayList<>();
    run.get("steps").forEach(s -> out.add(s.get("id").asText()));
    return out;
  }

  /** The progress shows, step by step, what happened and how long it took. */
  private static void assertEveryStepTimed(JsonNode run) {
    for (JsonNode s : run.get("steps")) {
      assertThat(s.get("state").asText()).as(s.toString()).isIn("SUCCEEDED", "SKIPPED");
      assertThat(s.get("startedAt").asLong()).as(s.toString()).isPositive();
      assertThat(s.get("endedAt").asLong())
          .as(s.toString())
          .isGreaterThanOrEqualTo(s.get("startedAt").asLong());
    }
  }

  // ------------------------------------------------------------------ files

  private static Map<String, String> tree(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p).toString(), Files.readString(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static List<String> readLines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path p, String text) {
    try {
      Files.createDirectories(p.getParent());
      Files.writeString(p, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path privateFile(Path p, String text) {
    write(p, text);
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  private static void git(Path dir, String... args) throws Exception {
    List<String> argv = new ArrayList<>(List.of("git"));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(argv + " failed: " + out);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
