package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apply-resources} on a fabric8 mock API server (CRUD mode): an export of a "lost" cluster
 * is applied to an empty one, from a directory and from an archive.
 */
class ApplyResourcesTest {
  @TempDir Path tmp;
  MockCluster cluster;
  Path export;
  Repository repository;

  @BeforeEach
  void exportALostCluster() throws Exception {
    cluster = new MockCluster(tmp.resolve("volumes"));
    var c = cluster.client;
    cluster.namespace("ml-workspace");
    cluster.namespace("jupyter");
    c.persistentVolumeClaims()
        .inNamespace("ml-workspace")
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("shared")
                .withNamespace("ml-workspace")
                .addToAnnotations("pv.kubernetes.io/bind-completed", "yes")
                .addToLabels("app", "data")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteMany")
                .withStorageClassName("juicefs-sc")
                .withVolumeName("pvc-0d6c5a0e-old")
                .withNewResources()
                .addToRequests("storage", new Quantity("100Gi"))
                .endResources()
                .endSpec()
                .withNewStatus()
                .withPhase("Bound")
                .endStatus()
                .build())
        .create();
    cluster.pvc("jupyter", "claim-alice", "ReadWriteOnce");
    c.configMaps()
        .inNamespace("jupyter")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("hub-config")
                .withNamespace("jupyter")
                .endMetadata()
                .addToData("a", "b")
                .build())
        .create();
    export = tmp.resolve("export");
    ActionDispatcher.invoke(
        new ExportResources(cluster.clients()),
        Map.of(
            "path",
            export.toString(),
            "helm",
            false,
            "hostsFile",
            tmp.resolve("no-hosts").toString()),
        new LocalActionContext("export"));
    assertThat(
            Files.readString(
                export.resolve(
                    "kubernetes/namespaces/ml-workspace/persistentvolumeclaims/shared.yaml")))
        .contains("volumeName: \"pvc-0d6c5a0e-old\"")
        .contains("uid:");
    // the cluster is lost: nothing of it is left
    c.persistentVolumeClaims().inAnyNamespace().delete();
    c.configMaps().inAnyNamespace().delete();
    c.namespaces().delete();
    assertThat(c.namespaces().list().getItems()).isEmpty();
    repository = new Repository(tmp.resolve("repo"));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Map<String, Object> apply(Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(
        new ApplyResources(cluster.clients(), repository), args, new LocalActionContext("pvcs"));
  }

  @Test
  void recreatesClaimsWithoutTheOldBindingAndCreatesTheirNamespaces() throws Exception {
    Map<String, Object> out = apply(Map.of("path", export.toString()));

    assertThat(out.get("applied")).isEqualTo(2);
    assertThat(out.get("names"))
        .isEqualTo(
            List.of(
                "jupyter/PersistentVolumeClaim/claim-alice",
                "ml-workspace/PersistentVolumeClaim/shared"));
    assertThat(out.get("counts")).isEqualTo(Map.of("persistentvolumeclaims", 2));
    assertThat(out.get("createdNamespaces")).isEqualTo(List.of("jupyter", "ml-workspace"));
    PersistentVolumeClaim pvc =
        cluster
            .client
            .persistentVolumeClaims()
            .inNamespace("ml-workspace")
            .withName("shared")
            .get();
    assertThat(pvc.getSpec().getVolumeName()).isNull();
    assertThat(pvc.getSpec().getStorageClassName()).isEqualTo("juicefs-sc");
    assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(pvc.getSpec().getResources().getRequests().get("storage"))
        .isEqualTo(new Quantity("100Gi"));
    assertThat(pvc.getMetadata().getLabels()).containsEntry("app", "data");
    assertThat(pvc.getMetadata().getAnnotations())
        .doesNotContainKey("pv.kubernetes.io/bind-completed");
    assertThat(pvc.getStatus() == null || pvc.getStatus().getPhase() == null)
        .as("no status of the old cluster")
        .isTrue();
    assertThat(cluster.client.configMaps().inAnyNamespace().list().getItems())
        .as("only the kinds asked for")
        .isEmpty();
  }

  @Test
  void applyingTwiceUpdatesInsteadOfFailing() throws Exception {
    apply(Map.of("path", export.toString()));
    Map<String, Object> again =
        apply(Map.of("path", export.toString(), "kinds", List.of("pvc", "configmaps")));
    assertThat(again.get("applied")).isEqualTo(3);
    assertThat(again.get("createdNamespaces")).isEqualTo(List.of());
    assertThat(cluster.client.persistentVolumeClaims().inAnyNamespace().list().getItems())
        .hasSize(2);
    assertThat(
            cluster
                .client
                .configMaps()
                .inNamespace("jupyter")
                .withName("hub-config")
                .get()
                .getData())
        .containsEntry("a", "b");
  }

  @Test
  void namespaceFilterAndDryRun() throws Exception {
    Map<String, Object> dry =
        apply(
            Map.of(
                "path", export.toString(), "namespaces", List.of("ml-workspace"), "dryRun", true));
    assertThat(dry.get("names")).isEqualTo(List.of("ml-workspace/PersistentVolumeClaim/shared"));
    assertThat(dry.get("createdNamespaces")).isEqualTo(List.of("ml-workspace"));
    assertThat(cluster.client.namespaces().list().getItems()).isEmpty();
    assertThat(cluster.client.persistentVolumeClaims().inAnyNamespace().list().getItems())
        .isEmpty();

    apply(Map.of("path", export.toString(), "namespaces", List.of("ml-workspace")));
    assertThat(cluster.client.persistentVolumeClaims().inAnyNamespace().list().getItems())
        .extracting(p -> p.getMetadata().getName())
        .containsExactly("shared");
  }

  @Test
  void readsTheExportFromTheLatestArchiveOrAGivenOne() throws Exception {
    var written =
        repository.writeFromDirectory(
            "tier3", "infra", export, List.of(), List.of(), ProgressListener.NONE);

    Map<String, Object> out = apply(Map.of("set", "tier3", "source", "infra"));
    assertThat(out.get("from")).isEqualTo(written.ref().path().toString());
    assertThat(out.get("applied")).isEqualTo(2);
    assertThat(
            cluster
                .client
                .persistentVolumeClaims()
                .inNamespace("jupyter")
                .withName("claim-alice")
                .get())
        .isNotNull();

    Map<String, Object> byPath =
        apply(Map.of("archive", written.ref().path().toString(), "kinds", List.of("configmap")));
    assertThat(byPath.get("names")).isEqualTo(List.of("jupyter/ConfigMap/hub-config"));
  }

  @Test
  void wrongArgumentsSayWhatToGive() {
    assertThatThrownBy(() -> apply(Map.of()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("either 'path'");
    assertThatThrownBy(() -> apply(Map.of("path", export.toString(), "kinds", List.of("pods"))))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("cannot recreate kind 'pods'");
    assertThatThrownBy(() -> apply(Map.of("path", tmp.toString())))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not an export-resources directory");
    assertThatThrownBy(() -> apply(Map.of("set", "tier3", "source", "infra")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no archives");
  }
}
