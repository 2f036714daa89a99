package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.LocalActionContext;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The member backup and restore steps against a real K3s: a StatefulSet with a 2-container pod and
 * a local-path PVC, scaled down, its volume archived through a busybox helper pod, changed,
 * restored and compared. Skipped where no Docker engine exists; the mock-server tests are the ones
 * that always run.
 */
@Testcontainers(disabledWithoutDocker = true)
class MemberRunbooksK3sTest {
  @Container
  static final K3sContainer K3S =
      new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

  static KubernetesClient client;
  static final String NS = "quorum";

  @BeforeAll
  static void cluster() {
    client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(K3S.getKubeConfigYaml()))
            .build();
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
    client
        .apps()
        .statefulSets()
        .inNamespace(NS)
        .resource(
            new StatefulSetBuilder()
                .withNewMetadata()
                .withName("member1")
                .endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withServiceName("member1")
                .withNewSelector()
                .addToMatchLabels("app", "member1")
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", "member1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("node")
                .withImage("busybox:1.36")
                .withCommand(
                    "sh",
                    "-c",
                    "echo genesis > /data/genesis.json; mkdir -p /data/geth; echo k > /data/geth/nodekey;"
                        + " exec sleep 1000000")
                .addNewVolumeMount()
                .withName("data")
                .withMountPath("/data")
                .endVolumeMount()
                .endContainer()
                .addNewContainer()
                .withName("sidecar")
                .withImage("busybox:1.36")
                .withCommand("sleep", "1000000")
                .endContainer()
                .endSpec()
                .endTemplate()
                .addNewVolumeClaimTemplate()
                .withNewMetadata()
                .withName("data")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new Quantity("64Mi"))
                .endResources()
                .endSpec()
                .endVolumeClaimTemplate()
                .endSpec()
                .build())
        .create();
  }

  @AfterAll
  static void close() {
    if (client != null) {
      client.close();
    }
  }

  static Map<String, Object> run(
      dev.lifeboat.activities.action.Action<?> a, Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(a, args, new LocalActionContext("k3s"));
  }

  @Test
  void backupAndRestoreAMemberThroughAHelperPod() throws Exception {
    Supplier<KubernetesClient> clients = () -> client;
    Map<String, Object> sts = Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1");
    run(new WaitReady(clients), with(sts, "timeout", "5m"));
    Map<String, Object> down = run(new ScaleWorkload(clients), with(sts, "replicas", 0));
    assertThat(down).containsEntry("previousReplicas", 1);
    run(new WaitPodsGone(clients), sts);
    Map<String, Object> helper =
        run(
            new HelperPod(clients),
            Map.of(
                "namespace",
                NS,
                "pvc",
                "data-member1-0",
                "name",
                "lifeboat-member1-backup",
                "lastNode",
                down.get("lastNode")));
    MemoryArchives archives = new MemoryArchives();
    PodTar tar = new PodTar(clients);
    PodRef ref = new PodRef(NS, (String) helper.get("name"), HelperPod.CONTAINER);
    Map<String, Object> backup;
    try (var in = tar.archive(ref, "/data", List.of("."))) {
      backup = archives.writeFromTar("members", "member1", in, new LocalActionContext("k3s"));
    }
    assertThat((Integer) backup.get("files")).isGreaterThanOrEqualTo(2);
    tar.empty(ref, "/data");
    byte[] archived = archives.archives.get("members/member1").get(0);
    tar.extract(ref, "/data", new java.io.ByteArrayInputStream(archived));
    try (var in = tar.archive(ref, "/data", List.of("."))) {
      assertThat(MemoryArchives.digests(in.readAllBytes()))
          .isEqualTo(MemoryArchives.digests(archived));
    }
    run(new DeletePod(clients), Map.of("namespace", NS, "name", "lifeboat-member1-backup"));
    run(new ScaleWorkload(clients), with(sts, "replicas", down.get("previousReplicas")));
    Map<String, Object> ready = run(new WaitReady(clients), with(sts, "timeout", "5m"));
    assertThat(ready).containsEntry("ready", 1);
  }

  static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>(base);
    m.put(key, value);
    return m;
  }
}
