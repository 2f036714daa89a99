package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportResourcesTest {
  @TempDir Path tmp;
  MockCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster(tmp.resolve("volumes"));
    var c = cluster.client;
    cluster.namespace("jupyter");
    cluster.namespace("quorum");
    cluster.statefulSet("quorum", "member1", 1);
    cluster.awaitPods("quorum", Map.of("app", "member1"), 1);
    cluster.pvc("quorum", "data-member1-0", "ReadWriteOnce");
    c.services()
        .inNamespace("jupyter")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("hub")
                .withNamespace("jupyter")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withPort(8081)
                .endPort()
                .endSpec()
                .build())
        .create();
    c.configMaps()
        .inNamespace("jupyter")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("hub-config")
                .withNamespace("jupyter")
                .endMetadata()
                .addToData("jupyterhub_config.py", "c.Spawner.cpu_limit = 2")
                .build())
        .create();
    c.secrets()
        .inNamespace("jupyter")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("hub-secret")
                .withNamespace("jupyter")
                .endMetadata()
                .withType("Opaque")
                .addToData("token", Base64.getEncoder().encodeToString("s3cr3t".getBytes()))
                .build())
        .create();
    c.storage()
        .v1()
        .storageClasses()
        .resource(
            new StorageClassBuilder()
                .withNewMetadata()
                .withName("local-path")
                .endMetadata()
                .withProvisioner("rancher.io/local-path")
                .build())
        .create();
    helmRelease(1, "superseded", "4.0.0");
    helmRelease(2, "deployed", "4.1.0");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /**
   * A release secret exactly as Helm 3 stores it: JSON, gzip, base64, and base64 again on the wire.
   */
  void helmRelease(int revision, String status, String appVersion) throws Exception {
    String json =
        "{\"name\":\"jupyterhub\",\"namespace\":\"jupyter\",\"version\":"
            + revision
            + ",\"info\":{\"status\":\""
            + status
            + "\",\"last_deployed\":\"2026-11-0"
            + revision
            + "T10:00:00Z\"},"
            + "\"chart\":{\"metadata\":{\"name\":\"jupyterhub\",\"version\":\"4.1."
            + revision
            + "\",\"appVersion\":\""
            + appVersion
            + "\"}},\"config\":{\"hub\":{\"password\":\"hunter2\"},\"singleuser\":{\"memory\":\"4G\"}}}";
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
    String helmValue = Base64.getEncoder().encodeToString(gz.toByteArray());
    cluster
        .client
        .secrets()
        .inNamespace("jupyter")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("sh.helm.release.v1.jupyterhub.v" + revision)
                .withNamespace("jupyter")
                .addToLabels("owner", "helm")
                .endMetadata()
                .withType("helm.sh/release.v1")
                .addToData(
                    "release",
                    Base64.getEncoder()
                        .encodeToString(helmValue.getBytes(StandardCharsets.US_ASCII)))
                .build())
        .create();
  }

  @Test
  void exportsResourcesHelmReleasesAndHostFiles() throws Exception {
    Path hosts = Files.writeString(tmp.resolve("hosts"), "127.0.0.1 localhost\n10.0.0.5 gpu-box\n");
    Path kubeconfig = Files.writeString(tmp.resolve("config"), "apiVersion: v1\nkind: Config\n");
    Path inventory = Files.createDirectories(tmp.resolve("inventory"));
    Files.writeString(inventory.resolve("hosts.ini"), "[k3s]\ngpu-box\n");
    Files.createDirectories(inventory.resolve("group_vars"));
    Files.writeString(inventory.resolve("group_vars/vault.yml"), "secret: 1\n");
    Path out = tmp.resolve("export");

    Map<String, Object> r =
        ActionDispatcher.invoke(
            new ExportResources(cluster.clients()),
            Map.of(
                "path",
                out.toString(),
                "hostsFile",
                hosts.toString(),
                "kubeconfig",
                kubeconfig.toString(),
                "inventory",
                inventory.toString()),
            new LocalActionContext("export"));

    @SuppressWarnings("unchecked")
    Map<String, Integer> counts = (Map<String, Integer>) r.get("counts");
    assertThat(counts)
        .containsEntry("statefulsets", 1)
        .containsEntry("pods", 1)
        .containsEntry("services", 1)
        .containsEntry("configmaps", 1)
        .containsEntry("secrets", 3)
        .containsEntry("storageclasses", 1)
        .containsEntry("persistentvolumeclaims", 1)
        .containsEntry("helm-releases", 1);
    Path sts = out.resolve("kubernetes/namespaces/quorum/statefulsets/member1.yaml");
    assertThat(
            Serialization.unmarshal(
                    Files.readString(sts), io.fabric8.kubernetes.api.model.apps.StatefulSet.class)
                .getSpec()
                .getReplicas())
        .isEqualTo(1);
    assertThat(out.resolve("kubernetes/cluster/storageclasses/local-path.yaml")).exists();
    assertThat(out.resolve("host/hosts")).hasContent("127.0.0.1 localhost\n10.0.0.5 gpu-box");
    assertThat(out.resolve("host/ansible-inventory/hosts.ini")).exists();

    @SuppressWarnings("unchecked")
    List<String> sensitive = (List<String>) r.get("sensitive");
    assertThat(sensitive)
        .contains(
            "kubernetes/namespaces/jupyter/secrets/hub-secret.yaml",
            "helm/jupyter/jupyterhub/revision-2.yaml",
            "host/kubeconfig",
            "host/ansible-inventory/group_vars/vault.yml")
        .doesNotContain("host/hosts", "kubernetes/namespaces/jupyter/configmaps/hub-config.yaml");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(
                    out.resolve("kubernetes/namespaces/jupyter/secrets/hub-secret.yaml"))))
        .isEqualTo("rw-------");

    String releases = Files.readString(out.resolve("helm/releases.yaml"));
    assertThat(releases)
        .contains("name: \"jupyterhub\"")
        .contains("revision: 2")
        .contains("status: \"deployed\"")
        .contains("chart: \"jupyterhub-4.1.2\"")
        .contains("appVersion: \"4.1.0\"")
        .doesNotContain("hunter2");
    assertThat(Files.readString(out.resolve("helm/jupyter/jupyterhub/revision-2.yaml")))
        .contains("hunter2")
        .contains("memory: \"4G\"");
    assertThat(Files.readString(out.resolve("index.yaml"))).contains("sensitive: true");
  }

  @Test
  void refusesANonEmptyDirectoryUnlessClean() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("export"));
    Files.writeString(out.resolve("old.yaml"), "x");
    var action = new ExportResources(cluster.clients());
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    action,
                    Map.of("path", out.toString(), "kinds", List.of("pv")),
                    new LocalActionContext("export")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not empty");
    ActionDispatcher.invoke(
        action,
        Map.of("path", out.toString(), "kinds", List.of("sc"), "clean", true, "helm", false),
        new LocalActionContext("export"));
    assertThat(out.resolve("old.yaml")).doesNotExist();
    assertThat(out.resolve("kubernetes/cluster/storageclasses/local-path.yaml")).exists();
  }
}
