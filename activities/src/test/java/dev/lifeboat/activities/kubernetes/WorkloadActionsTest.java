package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadActionsTest {
  static final String NS = "quorum";

  @TempDir Path tmp;
  MockCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster(tmp);
    cluster.namespace(NS);
    cluster.statefulSet(NS, "member1", 1);
    cluster.awaitPods(NS, Map.of("app", "member1"), 1);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  Map<String, Object> run(dev.lifeboat.activities.action.Action<?> action, Map<String, Object> args)
      throws Exception {
    return ActionDispatcher.invoke(action, args, new LocalActionContext("step"));
  }

  @Test
  void scaleDownWaitGoneScaleBackWaitReady() throws Exception {
    var scale = new ScaleWorkload(cluster.clients());
    Map<String, Object> down =
        run(
            scale,
            Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1", "replicas", 0));
    assertThat(down)
        .containsEntry("previousReplicas", 1)
        .containsEntry("replicas", 0)
        .containsEntry("lastNode", MockCluster.DEFAULT_NODE);

    Map<String, Object> gone =
        run(
            new WaitPodsGone(cluster.clients()),
            Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1", "timeout", "10s"));
    assertThat(gone).containsEntry("namespace", NS);
    assertThat(cluster.podNames(NS)).isEmpty();

    run(
        scale,
        Map.of(
            "namespace",
            NS,
            "kind",
            "statefulset",
            "name",
            "member1",
            "replicas",
            down.get("previousReplicas")));
    Map<String, Object> ready =
        run(
            new WaitReady(cluster.clients()),
            Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1", "timeout", "10s"));
    assertThat(ready).containsEntry("ready", 1).containsEntry("expected", 1);
    Pod p = cluster.client.pods().inNamespace(NS).withName("member1-0").get();
    assertThat(Pods.readyCount(p)).isEqualTo("2/2");
  }

  @Test
  void aMissingWorkloadOrNamespaceIsInvalidAndNamed() {
    var scale = new ScaleWorkload(cluster.clients());
    assertThatThrownBy(
            () ->
                run(
                    scale,
                    Map.of(
                        "namespace", NS, "kind", "StatefulSet", "name", "member9", "replicas", 0)))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("StatefulSet 'member9' not found in namespace 'quorum'");
    assertThatThrownBy(
            () ->
                run(
                    scale,
                    Map.of("namespace", "nope", "kind", "Deployment", "name", "x", "replicas", 0)))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("namespace 'nope' does not exist");
    assertThatThrownBy(
            () ->
                run(
                    scale,
                    Map.of("namespace", NS, "kind", "DaemonSet", "name", "x", "replicas", 0)))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("Deployment or StatefulSet");
    assertThat(
            cluster
                .client
                .apps()
                .statefulSets()
                .inNamespace(NS)
                .withName("member1")
                .get()
                .getSpec()
                .getReplicas())
        .isEqualTo(1);
  }

  @Test
  void namesThatAreNotKubernetesNamesNeverReachAUrl() {
    PodTar tar = new PodTar(cluster.clients());
    int before = cluster.server.getRequestCount();
    for (String workload :
        java.util.List.of(
            "deployment/../../../../api/v1/namespaces/kube-system/secrets",
            "deployment/x?labelSelector=a",
            "deployment/a b",
            "--all",
            "secret/foo",
            "statefulset/x\u0000")) {
      assertThatThrownBy(() -> tar.resolve(NS, null, workload, null))
          .as(workload)
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("is not a workload");
    }
    assertThatThrownBy(() -> tar.resolve("Foo_Bar.", null, "statefulset/member1", null))
        .hasMessageContaining("namespace 'Foo_Bar.' is not a Kubernetes name");
    assertThatThrownBy(() -> tar.resolve(NS, "../secrets", null, null))
        .hasMessageContaining("pod name '../secrets' is not a Kubernetes object name");
    var scale = new ScaleWorkload(cluster.clients());
    assertThatThrownBy(
            () ->
                run(
                    scale,
                    Map.of(
                        "namespace", NS, "kind", "StatefulSet", "name", "a/../b", "replicas", 0)))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("StatefulSet name 'a/../b' is not a Kubernetes object name");
    assertThatThrownBy(
            () ->
                run(
                    scale,
                    Map.of(
                        "namespace",
                        "a..b",
                        "kind",
                        "StatefulSet",
                        "name",
                        "member1",
                        "replicas",
                        0)))
        .hasMessageContaining("namespace 'a..b' is not a Kubernetes name");
    assertThat(cluster.server.getRequestCount()).as("requests sent").isEqualTo(before);
  }

  @Test
  void aRetriedScaleStillReportsTheOriginalCount() throws Exception {
    var scale = new ScaleWorkload(cluster.clients());
    var ctx = new LocalActionContext("scaledown");
    Map<String, Object> args =
        Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1", "replicas", 0);
    ActionDispatcher.invoke(scale, args, ctx);
    // second attempt after the first changed the count (e.g. its reply was lost): the checkpoint
    // remembers 1
    Map<String, Object> again = ActionDispatcher.invoke(scale, args, ctx);
    assertThat(again).containsEntry("previousReplicas", 1);
  }

  @Test
  void scalesADeploymentToo() throws Exception {
    cluster.pvc(NS, "models", "ReadWriteOnce");
    cluster.deployment(NS, "model-server", 2, "/models", "models");
    cluster.awaitPods(NS, Map.of("app", "model-server"), 2);
    Map<String, Object> out =
        run(
            new ScaleWorkload(cluster.clients()),
            Map.of("namespace", NS, "kind", "Deployment", "name", "model-server", "replicas", 0));
    assertThat(out).containsEntry("previousReplicas", 2);
    run(
        new WaitPodsGone(cluster.clients()),
        Map.of("namespace", NS, "selector", Map.of("app", "model-server")));
  }

  @Test
  void waitReadyTimesOutWithPodStateEventsAndLog() throws Exception {
    cluster.stuck.put("member2-0", "CrashLoopBackOff");
    cluster.statefulSet(NS, "member2", 1);
    cluster
        .client
        .v1()
        .events()
        .inNamespace(NS)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("e1")
                .withNamespace(NS)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName("member2-0")
                .withNamespace(NS)
                .endInvolvedObject()
                .withType("Warning")
                .withReason("BackOff")
                .withMessage("Back-off restarting failed container sidecar")
                .withLastTimestamp("2026-11-22T00:00:01Z")
                .build())
        .create();
    assertThatThrownBy(
            () ->
                run(
                    new WaitReady(cluster.clients()),
                    Map.of(
                        "namespace",
                        NS,
                        "kind",
                        "StatefulSet",
                        "name",
                        "member2",
                        "timeout",
                        "2s")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "timed out after 2s waiting for 1 ready pods of StatefulSet quorum/member2")
        .hasMessageContaining("member2-0 Running 1/2")
        .hasMessageContaining("container sidecar: waiting (CrashLoopBackOff")
        .hasMessageContaining("Warning BackOff: Back-off restarting failed container sidecar")
        .hasMessageContaining("log of main");
  }

  @Test
  void aRetriedWaitKeepsItsDeadline() throws Exception {
    cluster.stuck.put("member3-0", "CrashLoopBackOff");
    cluster.statefulSet(NS, "member3", 1);
    var ctx = new LocalActionContext("wait");
    long start = System.currentTimeMillis() - 600_000;
    ctx.checkpoint(
        new WaitCheckpoint(
            "1 ready pods of StatefulSet quorum/member3", start, start + 300_000, null));
    long t0 = System.currentTimeMillis();
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new WaitReady(cluster.clients()),
                    Map.of("namespace", NS, "kind", "StatefulSet", "name", "member3"),
                    ctx))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("timed out after 300s");
    // far below the 300 s a fresh deadline would wait; not tighter: the mock server's event loop
    // can stall up to 30 s closing a watch (its WatchEventsListener awaits its executor)
    assertThat(System.currentTimeMillis() - t0).isLessThan(60_000);
  }

  @Test
  void waitCheckpointsWhileWaiting() throws Exception {
    cluster.readyDelayMillis = 6000;
    cluster.statefulSet(NS, "member4", 1);
    var ctx = new LocalActionContext("wait");
    run(
        new WaitReady(cluster.clients()),
        Map.of("namespace", NS, "kind", "StatefulSet", "name", "member4"));
    ActionDispatcher.invoke(
        new WaitReady(cluster.clients()),
        Map.of("namespace", NS, "kind", "StatefulSet", "name", "member4"),
        ctx);
    assertThat(ctx.lastCheckpoint(WaitCheckpoint.class))
        .get()
        .satisfies(c -> assertThat(c.deadlineMillis() - c.startedAtMillis()).isEqualTo(300_000));
  }

  @Test
  void helperPodRunsOnTheNodeThatLastUsedTheVolumeAndDeleteIsIdempotent() throws Exception {
    cluster.pvc(NS, "data-member1-0", "ReadWriteOnce");
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("namespace", NS);
    args.put("pvc", "data-member1-0");
    args.put("name", "helper-member1");
    args.put("labels", Map.of("lifeboat/member", "1"));
    // the member pod still mounts the claim, on node-a
    Map<String, Object> out = run(new HelperPod(cluster.clients()), args);
    assertThat(out)
        .containsEntry("name", "helper-member1")
        .containsEntry("node", "node-a")
        .containsEntry("mountPath", "/data");
    Pod helper = cluster.client.pods().inNamespace(NS).withName("helper-member1").get();
    assertThat(helper.getMetadata().getLabels())
        .containsEntry("lifeboat/member", "1")
        .containsEntry("app.kubernetes.io/managed-by", "lifeboat");
    assertThat(helper.getSpec().getContainers().get(0).getVolumeMounts().get(0).getMountPath())
        .isEqualTo("/data");

    // a retry of the same step reuses the pod instead of failing or making a second one
    assertThat(run(new HelperPod(cluster.clients()), args)).containsEntry("name", "helper-member1");

    var delete = new DeletePod(cluster.clients());
    assertThat(run(delete, Map.of("namespace", NS, "name", "helper-member1")))
        .containsEntry("existed", true);
    assertThat(run(delete, Map.of("namespace", NS, "name", "helper-member1")))
        .containsEntry("existed", false);
    assertThat(cluster.podNames(NS)).containsExactly("member1-0");
  }

  @Test
  void helperPodUsesTheLastNodeHintOnceTheWorkloadIsGone() throws Exception {
    cluster.pvc(NS, "data-member1-0", "ReadWriteOnce");
    run(
        new ScaleWorkload(cluster.clients()),
        Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1", "replicas", 0));
    run(
        new WaitPodsGone(cluster.clients()),
        Map.of("namespace", NS, "kind", "StatefulSet", "name", "member1"));
    Map<String, Object> out =
        run(
            new HelperPod(cluster.clients()),
            Map.of("namespace", NS, "pvc", "data-member1-0", "lastNode", "node-b"));
    assertThat(out).containsEntry("node", "node-b");
    assertThat((String) out.get("name")).startsWith("lifeboat-helper-");
  }

  @Test
  void aHelperThatCannotStartIsRemovedAndExplained() throws Exception {
    cluster.pvc(NS, "scratch", "ReadWriteMany");
    cluster.readyDelayMillis = 60_000;
    assertThatThrownBy(
            () ->
                run(
                    new HelperPod(cluster.clients()),
                    Map.of("namespace", NS, "pvc", "scratch", "name", "helper-y", "timeout", "1s")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("helper pod quorum/helper-y did not reach Running within 1s")
        .hasMessageContaining("phase unknown");
    assertThat(cluster.podNames(NS)).doesNotContain("helper-y");
    assertThatThrownBy(
            () -> run(new HelperPod(cluster.clients()), Map.of("namespace", NS, "pvc", "missing")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("PersistentVolumeClaim 'missing' not found");
  }
}
