package dev.lifeboat.activities.kubernetes;

import static dev.lifeboat.activities.kubernetes.RunbookHarness.gnuTarList;
import static dev.lifeboat.activities.kubernetes.RunbookHarness.step;
import static dev.lifeboat.activities.kubernetes.RunbookHarness.tree;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Manifest;
import dev.lifeboat.workflows.RunProgress;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.StepState;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tier runbooks as shipped, with their default parameters wherever the seed's names fit the
 * mock cluster: tier1-critical streams notebooks, models and datasets out of running pods,
 * notebooks-restore puts notebooks back, tier3-infra exports and archives cluster state, tier2-full
 * archives the shared filesystem. Pods' directories are local temp directories reached through exec
 * of GNU tar.
 */
class TierRunbooksTest {
  static final String JUPYTER = "jupyter";
  static final String ML = "ml-workspace";

  @TempDir static Path tmp;
  static RunbookHarness h;
  static Path notebooks;
  static Path models;
  static Path datasetsVolume;
  static Path shared;

  @BeforeAll
  static void start() throws Exception {
    h = new RunbookHarness(tmp, "tier1-critical", "notebooks-restore", "tier2-full", "tier3-infra");
    MockCluster c = h.cluster;
    c.namespace(JUPYTER);
    c.namespace(ML);
    c.pvc(JUPYTER, "hub-home", "ReadWriteOnce");
    c.pvc(ML, "models", "ReadWriteOnce");
    c.pvc(ML, "datasets", "ReadWriteOnce");
    c.pvc(ML, "shared", "ReadWriteMany");
    c.deployment(JUPYTER, "jupyterhub", 1, "/home/jovyan", "hub-home");
    c.deployment(ML, "model-server", 1, "/models", "models");
    // as in the seed (kubectl exec deployment/data-pod): a Deployment whose pod has the unique
    // datasets at
    // /data (tier 1) and the shared filesystem at /mnt/shared (tier 2); its pods are not named
    // data-pod
    c.client
        .apps()
        .deployments()
        .inNamespace(ML)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("data-pod")
                .withNamespace(ML)
                .endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector()
                .addToMatchLabels("app", "data-pod")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "data-pod")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("main")
                .withImage("example/data-pod:1")
                .addNewVolumeMount()
                .withName("datasets")
                .withMountPath("/data")
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("shared")
                .withMountPath("/mnt/shared")
                .endVolumeMount()
                .endContainer()
                .addNewContainer()
                .withName("sidecar")
                .withImage("example/sidecar:1")
                .endContainer()
                .addNewVolume()
                .withName("datasets")
                .withNewPersistentVolumeClaim()
                .withClaimName("datasets")
                .endPersistentVolumeClaim()
                .endVolume()
                .addNewVolume()
                .withName("shared")
                .withNewPersistentVolumeClaim()
                .withClaimName("shared")
                .endPersistentVolumeClaim()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();

    notebooks = c.pvcDir(JUPYTER, "hub-home");
    write(notebooks, "Übung 1/naïve résumé.ipynb", notebook("résumé"));
    write(notebooks, "日本語ノート.ipynb", notebook("日本語"));
    write(notebooks, "projects/deep/nested/dir/model training v2.ipynb", notebook("training"));
    write(notebooks, "a".repeat(70) + "/" + "b".repeat(70) + " long name.ipynb", notebook("long"));
    write(notebooks, "-leading dash.ipynb", notebook("dash"));
    write(notebooks, "it's; $(not a command) & more.txt", "shell characters stay text\n");
    write(notebooks, ".jupyter/jupyter_notebook_config.py", "c.NotebookApp.open_browser = False\n");
    Files.createDirectories(notebooks.resolve("empty dir"));

    models = c.pvcDir(ML, "models");
    writeBytes(models, "llama 3/weights.bin", random(300_000, 1));
    write(models, "llama 3/tokenizer/vocab ü.json", "{\"ü\": 1}");
    write(models, "registry.yaml", "models: [llama 3]\n");

    datasetsVolume = c.pvcDir(ML, "datasets");
    write(datasetsVolume, "unique/raw data/2026-11 sample.csv", "a,b\n1,2\n");
    write(datasetsVolume, "unique/labels/ä ö ü.csv", "x\n");
    writeBytes(datasetsVolume, "unique/images/0001.png", random(50_000, 2));
    Files.createDirectories(datasetsVolume.resolve("unique/staging"));
    // outside the backed-up path: must not be archived
    write(datasetsVolume, "cache/huge.tmp", "scratch");

    shared = c.pvcDir(ML, "shared");
    write(shared, "users/alice/notes.md", "# notes\n");
    writeBytes(shared, "runs/2026-11/checkpoint.pt", random(400_000, 3));
    write(shared, "Gemeinsam genutzt/Übersicht.txt", "Übersicht\n");
    Files.createSymbolicLink(shared.resolve("latest-run"), Path.of("runs/2026-11"));
    Files.createDirectories(shared.resolve("scratch/empty"));

    c.awaitPods(JUPYTER, Map.of("app", "jupyterhub"), 1);
    c.awaitPods(ML, Map.of("app", "model-server"), 1);
    c.awaitPods(ML, Map.of("app", "data-pod"), 1);
  }

  @AfterAll
  static void stop() {
    h.close();
  }

  @Test
  void tier1WithTheNotebooksScheduleParamsBacksUpNotebooksOnly() throws Exception {
    // the params of the shipped tier1-notebooks schedule
    RunProgress run =
        h.run("tier1-critical", Map.of("models", false, "datasets", false, "keepWithin", "30d"));

    assertThat(run.status()).as(String.valueOf(run.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(run.steps())
        .extracting(s -> s.id() + "=" + s.state())
        .containsExactly(
            "notebooks=SUCCEEDED",
            "verifynotebooks=SUCCEEDED",
            "models=SKIPPED",
            "verifymodels=SKIPPED",
            "datasets=SKIPPED",
            "verifydatasets=SKIPPED",
            "prunenotebooks=SUCCEEDED",
            "prunemodels=SKIPPED",
            "prunedatasets=SKIPPED");
  }

  @Test
  void tier1ArchivesNotebooksModelsAndDatasetsFromTheRunningPods() throws Exception {
    Map<String, Map<String, String>> expected =
        Map.of(
            "notebooks",
            tree(notebooks),
            "models",
            tree(models),
            "datasets",
            tree(datasetsVolume.resolve("unique")));

    RunProgress run = h.run("tier1-critical", Map.of());

    assertThat(run.status()).as(String.valueOf(run.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(run.steps())
        .extracting(s -> s.id() + "=" + s.state())
        .containsExactly(
            "notebooks=SUCCEEDED",
            "verifynotebooks=SUCCEEDED",
            "models=SUCCEEDED",
            "verifymodels=SUCCEEDED",
            "datasets=SUCCEEDED",
            "verifydatasets=SUCCEEDED",
            "prunenotebooks=SUCCEEDED",
            "prunemodels=SUCCEEDED",
            "prunedatasets=SUCCEEDED");
    for (String source : List.of("notebooks", "models", "datasets")) {
      Path archive = Path.of(String.valueOf(step(run, source).output().get("path")));
      assertThat(archive).startsWith(h.repository.root().resolve("tier1").resolve(source));
      Manifest manifest =
          h.repository.manifest(h.repository.resolve(null, null, archive.toString()));
      // every file, by its exact name and path, with its SHA-256
      Map<String, String> files =
          manifest.entries().stream()
              .filter(e -> e.type() == Manifest.EntryType.FILE)
              .collect(
                  Collectors.toMap(
                      Manifest.Entry::path, Manifest.Entry::sha256, (a, b) -> a, TreeMap::new));
      assertThat(files).as(source).isEqualTo(expected.get(source));
      assertThat(step(run, "verify" + source).output()).containsEntry("ok", true);
      // a standard .tar.gz: GNU tar lists the same names
      assertThat(gnuTarList(archive))
          .as(source)
          .containsAll(manifest.entries().stream().map(Manifest.Entry::path).toList())
          .containsAll(expected.get(source).keySet());
    }
    Manifest nb = manifestOf(run, "notebooks");
    assertThat(nb.entries())
        .anyMatch(e -> e.path().equals("empty dir") && e.type() == Manifest.EntryType.DIR)
        .anyMatch(e -> e.path().equals("Übung 1/naïve résumé.ipynb"))
        .anyMatch(e -> e.path().equals("-leading dash.ipynb"));
    assertThat(manifestOf(run, "datasets").entries())
        .anyMatch(e -> e.path().equals("staging"))
        .noneMatch(e -> e.path().contains("huge.tmp"))
        .noneMatch(e -> e.path().startsWith("unique"));
    // tar ran in the first ready pod of each workload, in its first container
    assertThat(h.cluster.exec.commands)
        .contains(
            "jupyterhub-0: tar cf - -C /home/jovyan .",
            "model-server-0: tar cf - -C /models .",
            "data-pod-0: tar cf - -C /data/unique .");
  }

  @Test
  void tier1NamesAMissingNamespaceWorkloadOrPod() {
    RunProgress noNamespace = h.run("tier1-critical", Map.of("notebooksNamespace", "jupyterlab"));
    assertThat(noNamespace.status()).isEqualTo(RunStatus.FAILED);
    assertThat(noNamespace.error())
        .contains("step 'notebooks' failed")
        .contains("namespace 'jupyterlab' does not exist")
        .contains("'jupyterhub'");

    RunProgress noWorkload =
        h.run("tier1-critical", Map.of("modelsWorkload", "deployment/model-serve"));
    assertThat(noWorkload.status()).isEqualTo(RunStatus.FAILED);
    assertThat(noWorkload.error())
        .contains("step 'models' failed")
        .contains("'model-serve' not found in namespace 'ml-workspace'");
    // the steps before it did their work; nothing after it ran
    assertThat(step(noWorkload, "verifynotebooks").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(noWorkload, "datasets").state()).isIn(StepState.PENDING, StepState.SKIPPED);

    RunProgress noPod = h.run("tier1-critical", Map.of("datasetsPod", "data-pod-7"));
    assertThat(noPod.status()).isEqualTo(RunStatus.FAILED);
    assertThat(noPod.error())
        .contains("step 'datasets' failed")
        .contains("pod 'data-pod-7' not found in namespace 'ml-workspace'");

    // a path the pod does not have: tar's complaint, naming the path and the pod
    RunProgress noPath = h.run("tier1-critical", Map.of("modelsPath", "/modelz"));
    assertThat(noPath.status()).isEqualTo(RunStatus.FAILED);
    assertThat(noPath.error())
        .contains("step 'models' failed")
        .contains("tar cf - -C /modelz")
        .contains("model-server-0")
        .contains("exit code 2")
        .contains("No such file or directory");
  }

  @Test
  void notebooksRestorePutsBackTheLatestOrAGivenArchive() throws Exception {
    RunProgress first = h.run("tier1-critical", Map.of());
    assertThat(first.status()).as(String.valueOf(first.error())).isEqualTo(RunStatus.COMPLETED);
    String older = String.valueOf(step(first, "notebooks").output().get("archive"));
    Map<String, String> olderTree = tree(notebooks);

    write(notebooks, "new notebook ✓.ipynb", notebook("new"));
    write(notebooks, "Übung 1/naïve résumé.ipynb", notebook("résumé, second draft"));
    RunProgress second = h.run("tier1-critical", Map.of());
    assertThat(second.status()).as(String.valueOf(second.error())).isEqualTo(RunStatus.COMPLETED);
    String latest = String.valueOf(step(second, "notebooks").output().get("archive"));
    assertThat(latest).isNotEqualTo(older);
    Map<String, String> latestTree = tree(notebooks);

    // a user deletes and overwrites notebooks, and leaves a file of their own
    Files.delete(notebooks.resolve("Übung 1/naïve résumé.ipynb"));
    deleteTree(notebooks.resolve("projects"));
    Files.writeString(notebooks.resolve("日本語ノート.ipynb"), "{}");
    Files.delete(notebooks.resolve("-leading dash.ipynb"));
    Files.delete(notebooks.resolve("empty dir"));
    write(notebooks, "scratch.txt", "mine");

    RunProgress restore = h.run("notebooks-restore", Map.of());
    assertThat(restore.status()).as(String.valueOf(restore.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(String.valueOf(step(restore, "check").output().get("archive")))
        .endsWith("/" + latest);
    assertThat(String.valueOf(step(restore, "restore").output().get("archive")))
        .endsWith("/" + latest);
    Map<String, String> now = tree(notebooks);
    // every archived file is back byte for byte under its name; without clean the user's file stays
    assertThat(now)
        .containsAllEntriesOf(latestTree)
        .containsEntry("scratch.txt", RunbookHarness.sha256(notebooks.resolve("scratch.txt")))
        .hasSize(latestTree.size() + 1);
    assertThat(notebooks.resolve("empty dir")).isDirectory();

    // the older archive by name: its files come back, files only in the newer one are left alone
    RunProgress back = h.run("notebooks-restore", Map.of("archive", older));
    assertThat(back.status()).as(String.valueOf(back.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(String.valueOf(step(back, "restore").output().get("archive"))).endsWith("/" + older);
    assertThat(tree(notebooks))
        .containsAllEntriesOf(olderTree)
        .containsKeys("new notebook ✓.ipynb", "scratch.txt");

    // and with clean: exactly the older state
    RunProgress exact = h.run("notebooks-restore", Map.of("archive", older, "clean", true));
    assertThat(exact.status()).as(String.valueOf(exact.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(tree(notebooks)).isEqualTo(olderTree);
    assertThat(notebooks.resolve("empty dir")).isDirectory();
    assertThat(notebooks.resolve(".jupyter/jupyter_notebook_config.py")).exists();
  }

  @Test
  @SuppressWarnings("unchecked")
  void tier3ExportsResourcesAndHelmReleasesAndArchivesThemWithSecretsMarked() throws Exception {
    var c = h.cluster.client;
    c.secrets()
        .inNamespace(JUPYTER)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("hub-secret")
                .withNamespace(JUPYTER)
                .endMetadata()
                .withType("Opaque")
                .addToData(
                    "token",
                    Base64.getEncoder().encodeToString("s3cr3t".getBytes(StandardCharsets.UTF_8)))
                .build())
        .create();
    c.configMaps()
        .inNamespace(JUPYTER)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("hub-config")
                .withNamespace(JUPYTER)
                .endMetadata()
                .addToData("jupyterhub_config.py", "c.Spawner.cpu_limit = 2")
                .build())
        .create();
    helmRelease("jupyterhub", JUPYTER, 3);
    Path kubeconfig =
        write(
            tmp,
            "host/kubeconfig",
            "apiVersion: v1\nkind: Config\nusers: [{name: admin, user: " + "{token: abc}}]\n");
    Path hosts = write(tmp, "host/hosts", "127.0.0.1 localhost\n192.168.1.10 workstation\n");
    Path workdir = tmp.resolve("export/tier3");

    RunProgress run =
        h.run(
            "tier3-infra",
            Map.of(
                "workdir",
                workdir.toString(),
                "kubeconfig",
                kubeconfig.toString(),
                "hostsFile",
                hosts.toString()));

    assertThat(run.status()).as(String.valueOf(run.error())).isEqualTo(RunStatus.COMPLETED);
    assertThat(step(run, "verify").output()).containsEntry("ok", true);
    Path archive = Path.of(String.valueOf(step(run, "archive").output().get("path")));
    assertThat(archive).startsWith(h.repository.root().resolve("tier3").resolve("infra"));
    String secretFile = "kubernetes/namespaces/jupyter/secrets/hub-secret.yaml";
    String helmSecretFile =
        "kubernetes/namespaces/jupyter/secrets/sh.helm.release.v1.jupyterhub.v3.yaml";
    String helmValues = "helm/jupyter/jupyterhub/revision-3.yaml";
    String configMapFile = "kubernetes/namespaces/jupyter/configmaps/hub-config.yaml";

    // the archive holds the YAML (extracted with GNU tar, not with our own reader)
    Path out = Files.createDirectories(tmp.resolve("tier3-extracted"));
    Process tar =
        new ProcessBuilder("tar", "xzf", archive.toString(), "-C", out.toString())
            .redirectErrorStream(true)
            .start();
    String tarOut = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(tar.waitFor()).as(tarOut).isZero();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Map<?, ?> secret = yaml.readValue(out.resolve(secretFile).toFile(), Map.class);
    assertThat(secret.get("kind")).isEqualTo("Secret");
    assertThat((Map<Object, Object>) secret.get("data"))
        .containsEntry(
            "token", Base64.getEncoder().encodeToString("s3cr3t".getBytes(StandardCharsets.UTF_8)));
    Map<?, ?> helmSecret = yaml.readValue(out.resolve(helmSecretFile).toFile(), Map.class);
    assertThat(helmSecret.get("type")).isEqualTo("helm.sh/release.v1");
    Map<?, ?> release = yaml.readValue(out.resolve(helmValues).toFile(), Map.class);
    assertThat(release.get("name")).isEqualTo("jupyterhub");
    assertThat(release.get("revision")).isEqualTo(3);
    assertThat(release.get("chart")).isEqualTo("jupyterhub-4.1.3");
    assertThat(release.get("values")).isEqualTo(Map.of("hub", Map.of("password", "hunter2")));
    assertThat(yaml.readValue(out.resolve(configMapFile).toFile(), Map.class).get("kind"))
        .isEqualTo("ConfigMap");
    assertThat(Files.readString(out.resolve("helm/releases.yaml"))).contains("jupyterhub");
    assertThat(out.resolve("host/hosts")).hasContent(Files.readString(hosts));

    // the index travels in the archive and marks secrets, Helm values and the kubeconfig sensitive
    Map<?, ?> index = yaml.readValue(out.resolve("index.yaml").toFile(), Map.class);
    Map<String, Boolean> sensitive = new LinkedHashMap<>();
    for (Object f : (List<?>) index.get("files")) {
      Map<?, ?> m = (Map<?, ?>) f;
      sensitive.put(String.valueOf(m.get("path")), Boolean.TRUE.equals(m.get("sensitive")));
    }
    assertThat(sensitive)
        .containsEntry(secretFile, true)
        .containsEntry(helmSecretFile, true)
        .containsEntry(helmValues, true)
        .containsEntry("host/kubeconfig", true)
        .containsEntry(configMapFile, false)
        .containsEntry("host/hosts", false);
    assertThat((Map<Object, Object>) index.get("counts")).containsEntry("helm-releases", 1);
    // the manifest records them as owner-only files (and every exported file with its digest)
    Manifest manifest = h.repository.manifest(h.repository.resolve(null, null, archive.toString()));
    Map<String, Manifest.Entry> entries =
        manifest.entries().stream().collect(Collectors.toMap(Manifest.Entry::path, e -> e));
    for (String s : List.of(secretFile, helmSecretFile, helmValues, "host/kubeconfig")) {
      assertThat(entries.get(s).mode()).as(s).isEqualTo("0600");
    }
    assertThat(entries.get(configMapFile).mode()).isNotEqualTo("0600");
    assertThat(entries.keySet()).containsAll(sensitive.keySet()).contains("index.yaml");
    Map<String, String> files =
        manifest.entries().stream()
            .filter(e -> e.type() == Manifest.EntryType.FILE)
            .collect(
                Collectors.toMap(
                    Manifest.Entry::path, Manifest.Entry::sha256, (a, b) -> a, TreeMap::new));
    assertThat(files).isEqualTo(tree(out));
  }

  @Test
  void tier2ArchivesAndVerifiesTheSharedFilesystem() throws Exception {
    Map<String, String> expected = tree(shared);

    RunProgress run = h.run("tier2-full", Map.of());

    assertThat(run.status()).as(String.valueOf(run.error())).isEqualTo(RunStatus.COMPLETED);
    Map<String, Object> full = step(run, "full").output();
    assertThat(full).containsEntry("set", "tier2").containsEntry("source", "shared");
    assertThat(step(run, "verify").output())
        .containsEntry("ok", true)
        .containsEntry("files", ((Number) full.get("files")).intValue());
    Path archive = Path.of(String.valueOf(full.get("path")));
    ArchiveInfo info =
        h.repository.list("tier2", "shared").stream()
            .filter(a -> a.path().equals(archive))
            .findFirst()
            .orElseThrow();
    assertThat(info.verified()).isTrue();
    // the weekly thinning ran and kept this week's archive
    assertThat(String.valueOf(step(run, "prune").output().get("kept"))).contains(info.name());
    Manifest manifest =
        h.repository.manifest(new ArchiveRef("tier2", "shared", info.name(), archive));
    Map<String, String> files =
        manifest.entries().stream()
            .filter(e -> e.type() == Manifest.EntryType.FILE)
            .collect(
                Collectors.toMap(
                    Manifest.Entry::path, Manifest.Entry::sha256, (a, b) -> a, TreeMap::new));
    assertThat(files).isEqualTo(expected);
    assertThat(manifest.entries())
        .anyMatch(
            e ->
                e.path().equals("latest-run")
                    && e.type() == Manifest.EntryType.SYMLINK
                    && "runs/2026-11".equals(e.linkTarget()))
        .anyMatch(e -> e.path().equals("scratch/empty"));
    assertThat(gnuTarList(archive))
        .containsAll(expected.keySet())
        .contains("latest-run", "scratch/empty");
    assertThat(h.cluster.exec.commands).contains("data-pod-0: tar cf - -C /mnt/shared .");
  }

  private static Manifest manifestOf(RunProgress run, String step) {
    return h.repository.manifest(
        h.repository.resolve(null, null, String.valueOf(step(run, step).output().get("path"))));
  }

  /** A release secret as Helm 3 stores it: JSON, gzip, base64, and base64 again on the wire. */
  private static void helmRelease(String name, String namespace, int revision) throws Exception {
    String json =
        "{\"name\":\""
            + name
            + "\",\"namespace\":\""
            + namespace
            + "\",\"version\":"
            + revision
            + ",\"info\":{\"status\":\"deployed\",\"last_deployed\":\"2026-11-20T10:00:00Z\"},"
            + "\"chart\":{\"metadata\":{\"name\":\""
            + name
            + "\",\"version\":\"4.1."
            + revision
            + "\",\"appVersion\":\"5.2.1\"}},\"config\":{\"hub\":{\"password\":\"hunter2\"}}}";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
    String helmValue = Base64.getEncoder().encodeToString(gz.toByteArray());
    h.cluster
        .client
        .secrets()
        .inNamespace(namespace)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("sh.helm.release.v1." + name + ".v" + revision)
                .withNamespace(namespace)
                .addToLabels("owner", "helm")
                .addToLabels("name", name)
                .endMetadata()
                .withType("helm.sh/release.v1")
                .addToData(
                    "release",
                    Base64.getEncoder()
                        .encodeToString(helmValue.getBytes(StandardCharsets.US_ASCII)))
                .build())
        .create();
  }

  private static String notebook(String title) {
    return "{\"cells\": [{\"cell_type\": \"markdown\", \"source\": [\"# "
        + title
        + "\"]}], \"nbformat\": 4}\n";
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static Path write(Path dir, String rel, String text) throws Exception {
    return writeBytes(dir, rel, text.getBytes(StandardCharsets.UTF_8));
  }

  private static Path writeBytes(Path dir, String rel, byte[] bytes) throws Exception {
    Path p = dir.resolve(rel);
    Files.createDirectories(p.getParent());
    return Files.write(p, bytes);
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
