package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.server.mock.StatusStreamMessage;
import io.fabric8.mockwebserver.internal.WebSocketMessage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tar out of and into a container, with the exec served by the mock server's expectations. */
@EnableKubernetesMockClient
class PodTarTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @TempDir Path tmp;

  static final PodRef JUPYTER = new PodRef("jupyter", "jupyter-alice", "notebook");

  /** What real GNU tar writes for a directory of notebooks. */
  byte[] gnuTar() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(dir.resolve("transformer-training.ipynb"), "{\"cells\": []}");
    Files.createDirectories(dir.resolve("data sets"));
    Files.write(dir.resolve("data sets/weights.bin"), new byte[300_000]);
    Process p = new ProcessBuilder("tar", "cf", "-", "-C", dir.toString(), ".").start();
    byte[] bytes = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    return bytes;
  }

  @org.junit.jupiter.api.BeforeEach
  void runningPod() {
    // the client looks the pod up before it opens the exec
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/jupyter/pods/jupyter-alice")
        .andReturn(
            200,
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("jupyter-alice")
                .withNamespace("jupyter")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("notebook")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .endStatus()
                .build())
        .always();
  }

  static String execPath(String pod, String container, String... argv) {
    StringBuilder sb = new StringBuilder("/api/v1/namespaces/jupyter/pods/" + pod + "/exec?");
    for (String a : argv) {
      sb.append("command=")
          .append(java.net.URLEncoder.encode(a, StandardCharsets.UTF_8).replace("+", "%20"))
          .append('&');
    }
    return sb.append("container=").append(container).append("&stdout=true&stderr=true").toString();
  }

  static WebSocketMessage stdout(byte[] data) {
    byte[] msg = new byte[data.length + 1];
    msg[0] = 1;
    System.arraycopy(data, 0, msg, 1, data.length);
    return new WebSocketMessage(0L, msg, true, true);
  }

  @Test
  void streamsTheContainersTarByteForByte() throws Exception {
    byte[] tar = gnuTar();
    server
        .expect()
        .withPath(
            execPath("jupyter-alice", "notebook", "tar", "cf", "-", "-C", "/home/jovyan", "."))
        .andUpgradeToWebSocket()
        .open(stdout(tar), new StatusStreamMessage(0))
        .done()
        .once();
    try (InputStream in = new PodTar(() -> client).archive(JUPYTER, "/home/jovyan", List.of())) {
      assertThat(in.readAllBytes()).isEqualTo(tar);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "id -u prints {0} (exit {1}): root {2}")
  @org.junit.jupiter.params.provider.CsvSource({
    "'0\n', 0, true",
    "'1000\n', 0, false",
    "'0\n', 1, false",
    "'', 127, false"
  })
  void onlyAContainerWhoseProgramsRunAsRootGetsTheFoldersOwnModeAndOwner(
      String printed, int exit, boolean root) {
    server
        .expect()
        .withPath(execPath("jupyter-alice", "notebook", "id", "-u"))
        .andUpgradeToWebSocket()
        .open(stdout(printed.getBytes(StandardCharsets.UTF_8)), new StatusStreamMessage(exit))
        .done()
        .once();
    assertThat(new PodTar(() -> client).runsAsRoot(JUPYTER)).isEqualTo(root);
  }

  @Test
  void aMissingTarIsNamedWithPodAndContainer() {
    server
        .expect()
        .withPath(
            execPath("jupyter-alice", "notebook", "tar", "cf", "-", "-C", "/home/jovyan", "."))
        .andUpgradeToWebSocket()
        .open(new StatusStreamMessage(127))
        .done()
        .once();
    assertThatThrownBy(
            () -> {
              try (InputStream in =
                  new PodTar(() -> client).archive(JUPYTER, "/home/jovyan", List.of())) {
                in.readAllBytes();
              }
            })
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "pod jupyter/jupyter-alice container notebook has no usable 'tar' (exit code 127)");
  }

  @Test
  void aFailingTarFailsTheStreamAtItsEndWithTheExitCode() throws Exception {
    byte[] tar = gnuTar();
    server
        .expect()
        .withPath(
            execPath("jupyter-alice", "notebook", "tar", "cf", "-", "-C", "/home/jovyan", "."))
        .andUpgradeToWebSocket()
        .open(stdout(tar), new StatusStreamMessage(2))
        .done()
        .once();
    assertThatThrownBy(
            () -> {
              try (InputStream in =
                  new PodTar(() -> client).archive(JUPYTER, "/home/jovyan", List.of())) {
                in.readAllBytes();
              }
            })
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("failed with exit code 2")
        .hasMessageContaining("pod jupyter/jupyter-alice");
  }

  @Test
  void pathsStartingWithADashAreNotReadAsOptions() throws Exception {
    server
        .expect()
        .withPath(
            execPath(
                "jupyter-alice",
                "notebook",
                "tar",
                "cf",
                "-",
                "-C",
                "/data",
                "./--checkpoint-action=exec=sh",
                "notes"))
        .andUpgradeToWebSocket()
        .open(stdout(gnuTar()), new StatusStreamMessage(0))
        .done()
        .once();
    try (InputStream in =
        new PodTar(() -> client)
            .archive(JUPYTER, "/data", List.of("--checkpoint-action=exec=sh", "notes"))) {
      assertThat(in.readAllBytes()).isNotEmpty();
    }
  }

  @Test
  void extractsThroughRealTarInAPodAndEmptiesFirst(@TempDir Path volumes) throws Exception {
    byte[] tar = gnuTar();
    try (MockCluster cluster = new MockCluster(volumes)) {
      cluster.namespace("jupyter");
      cluster.pvc("jupyter", "home-alice", "ReadWriteOnce");
      cluster.deployment("jupyter", "jupyterhub", 1, "/home/jovyan", "home-alice");
      cluster.awaitPods("jupyter", java.util.Map.of("app", "jupyterhub"), 1);
      PodTar podTar = new PodTar(cluster.clients());
      PodRef ref = podTar.resolve("jupyter", null, "deployment/jupyterhub", null);
      assertThat(ref).isEqualTo(new PodRef("jupyter", "jupyterhub-0", "main"));
      Path home = cluster.pvcDir("jupyter", "home-alice");
      Files.writeString(home.resolve(".stale"), "old");

      podTar.empty(ref, "/home/jovyan");
      assertThat(home).isEmptyDirectory();
      long sent = podTar.extract(ref, "/home/jovyan", new ByteArrayInputStream(tar));
      assertThat(sent).as(cluster.exec.results.toString()).isGreaterThanOrEqualTo(tar.length);
      assertThat(home.resolve("transformer-training.ipynb"))
          .as(cluster.exec.results.toString())
          .exists();
      assertThat(home.resolve("transformer-training.ipynb")).hasContent("{\"cells\": []}");
      assertThat(Files.size(home.resolve("data sets/weights.bin"))).isEqualTo(300_000);

      try (InputStream in = podTar.archive(ref, "/home/jovyan", List.of("."))) {
        assertThat(MemoryArchives.digests(in.readAllBytes()))
            .isEqualTo(MemoryArchives.digests(tar));
      }
      cluster.exec.withoutTar.add("jupyterhub-0");
      assertThatThrownBy(() -> podTar.extract(ref, "/home/jovyan", new ByteArrayInputStream(tar)))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("has no usable 'tar'")
          .hasMessageContaining("executable file not found");
      assertThatThrownBy(() -> podTar.resolve("jupyter", null, "deployment/jupyterhub", "nope"))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("has no container 'nope' (it has: main, sidecar)");
    }
  }
}
