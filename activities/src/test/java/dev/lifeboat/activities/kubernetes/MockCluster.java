package dev.lifeboat.activities.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A fabric8 mock API server in CRUD mode plus what a real cluster would add: a controller that
 * makes StatefulSet and Deployment pods match {@code spec.replicas}, a kubelet that makes new pods
 * Running with every container ready after a short delay, and exec that runs real local programs
 * (GNU tar, sh) with each PVC backed by a local directory mounted where the pod mounts it.
 */
public final class MockCluster implements AutoCloseable {
  static final String DEFAULT_NODE = "node-a";

  public final KubernetesMockServer server;
  public final KubernetesClient client;
  final LocalExec exec;
  public final Path volumes;
  private final ScheduledExecutorService kubelet =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-kubelet");
            t.setDaemon(true);
            return t;
          });
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final java.util.concurrent.ScheduledExecutorService resync =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "mock-controller-resync");
            t.setDaemon(true);
            return t;
          });

  /** Pods the kubelet should leave not ready (name → waiting reason). */
  final Map<String, String> stuck = new ConcurrentHashMap<>();

  volatile long readyDelayMillis = 200;

  /** Longer than the mock server's longest stall (see the constructor). */
  private static final int MOCK_STALL_MILLIS = 90_000;

  public MockCluster(Path volumes) {
    this.volumes = volumes;
    KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    this.exec = new LocalExec(this);
    Dispatcher dispatcher =
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            if (path != null && path.contains("/exec?")) {
              return exec.dispatch(request);
            }
            return crud.dispatch(request);
          }
        };
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    // The mock server closes a watch on its event loop and waits there, up to a minute, for the
    // watch's event sender, which may itself be waiting to write on that loop: every request
    // stalls meanwhile (an informer stopped as its watch starts did it; ~20-30 s seen). The
    // client's default 10 s made such a stall a failed test, not a slow one.
    client =
        server.createClient(
            b -> b.editOrNewConfig().withRequestTimeout(MOCK_STALL_MILLIS).endConfig());
    startController();
  }

  public Supplier<KubernetesClient> clients() {
    return () -> client;
  }

  public void namespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  public void pvc(String namespace, String name, String accessMode) {
    client
        .persistentVolumeClaims()
        .inNamespace(namespace)
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withAccessModes(accessMode)
                .withNewResources()
                .addToRequests("storage", new Quantity("1Gi"))
                .endResources()
                .endSpec()
                .build())
        .create();
  }

  public Path pvcDir(String namespace, String pvc) {
    Path p = volumes.resolve(namespace).resolve(pvc);
    try {
      Files.createDirectories(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return p;
  }

  /** A StatefulSet with two containers (so ready means 2/2) and one claim template "data". */
  public StatefulSet statefulSet(String namespace, String name, int replicas) {
    return client
        .apps()
        .statefulSets()
        .inNamespace(namespace)
        .resource(
            new StatefulSetBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withServiceName(name)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withTemplate(template(name, "/data"))
                .addNewVolumeClaimTemplate()
                .withNewMetadata()
                .withName("data")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .endSpec()
                .endVolumeClaimTemplate()
                .endSpec()
                .build())
        .create();
  }

  public Deployment deployment(
      String namespace, String name, int replicas, String mountPath, String pvc) {
    PodTemplateSpec t = template(name, mountPath);
    t.getSpec()
        .getVolumes()
        .add(
            new io.fabric8.kubernetes.api.model.VolumeBuilder()
                .withName("data")
                .withNewPersistentVolumeClaim()
                .withClaimName(pvc)
                .endPersistentVolumeClaim()
                .build());
    return client
        .apps()
        .deployments()
        .inNamespace(namespace)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withTemplate(t)
                .endSpec()
                .build())
        .create();
  }

  private static PodTemplateSpec template(String app, String mountPath) {
    return new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder()
        .withNewMetadata()
        .addToLabels("app", app)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .withImage("example/" + app + ":1")
        .addNewVolumeMount()
        .withName("data")
        .withMountPath(mountPath)
        .endVolumeMount()
        .endContainer()
        .addNewContainer()
        .withName("sidecar")
        .withImage("example/sidecar:1")
        .endContainer()
        .endSpec()
        .build();
  }

  private void startController() {
    SharedIndexInformer<StatefulSet> sts =
        client
            .apps()
            .statefulSets()
            .inAnyNamespace()
            .inform(
                handler(
                    s ->
                        reconcile(
                            s.getMetadata().getNamespace(),
                            s.getMetadata().getName(),
                            s.getSpec().getReplicas(),
                            s.getSpec().getSelector().getMatchLabels(),
                            s.getSpec().getTemplate(),
                            true)));
    SharedIndexInformer<Deployment> deps =
        client
            .apps()
            .deployments()
            .inAnyNamespace()
            .inform(
                handler(
                    d ->
                        reconcile(
                            d.getMetadata().getNamespace(),
                            d.getMetadata().getName(),
                            d.getSpec().getReplicas(),
                            d.getSpec().getSelector().getMatchLabels(),
                            d.getSpec().getTemplate(),
                            false)));
    SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace().inform(handler(this::runPod));
    informers.addAll(List.of(sts, deps, pods));
    // the mock's watches now and then drop an event; a real controller re-lists, so this one does
    // too
    resync.scheduleWithFixedDelay(this::resyncAll, 500, 500, TimeUnit.MILLISECONDS);
  }

  private void resyncAll() {
    try {
      client
          .apps()
          .statefulSets()
          .inAnyNamespace()
          .list()
          .getItems()
          .forEach(
              s ->
                  reconcile(
                      s.getMetadata().getNamespace(),
                      s.getMetadata().getName(),
                      s.getSpec().getReplicas(),
                      s.getSpec().getSelector().getMatchLabels(),
                      s.getSpec().getTemplate(),
                      true));
      client
          .apps()
          .deployments()
          .inAnyNamespace()
          .list()
          .getItems()
          .forEach(
              d ->
                  reconcile(
                      d.getMetadata().getNamespace(),
                      d.getMetadata().getName(),
                      d.getSpec().getReplicas(),
                      d.getSpec().getSelector().getMatchLabels(),
                      d.getSpec().getTemplate(),
                      false));
      client.pods().inAnyNamespace().list().getItems().forEach(this::runPod);
    } catch (RuntimeException e) {
      // the next round tries again; a closed cluster ends the loop in close()
    }
  }

  private static <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> onChange) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        onChange.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        onChange.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  private synchronized void reconcile(
      String ns,
      String name,
      Integer replicas,
      Map<String, String> selector,
      PodTemplateSpec template,
      boolean stateful) {
    int want = replicas == null ? 1 : replicas;
    List<Pod> have = client.pods().inNamespace(ns).withLabels(selector).list().getItems();
    for (int i = 0; i < want; i++) {
      String podName = name + "-" + i;
      if (have.stream().noneMatch(p -> p.getMetadata().getName().equals(podName))) {
        PodSpec spec =
            new io.fabric8.kubernetes.api.model.PodSpecBuilder(template.getSpec()).build();
        if (stateful) {
          spec.getVolumes()
              .add(
                  new io.fabric8.kubernetes.api.model.VolumeBuilder()
                      .withName("data")
                      .withNewPersistentVolumeClaim()
                      .withClaimName("data-" + name + "-" + i)
                      .endPersistentVolumeClaim()
                      .build());
        }
        client
            .pods()
            .inNamespace(ns)
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(podName)
                    .withNamespace(ns)
                    .withLabels(template.getMetadata().getLabels())
                    .endMetadata()
                    .withSpec(spec)
                    .build())
            .create();
      }
    }
    for (Pod p : have) {
      String n = p.getMetadata().getName();
      int ordinal = Integer.parseInt(n.substring(n.lastIndexOf('-') + 1));
      if (ordinal >= want) {
        client.pods().inNamespace(ns).withName(n).delete();
      }
    }
  }

  /** The kubelet: a pod without a phase gets a node, then Running with its containers ready. */
  private void runPod(Pod pod) {
    if (pod.getStatus() != null && pod.getStatus().getPhase() != null) {
      return;
    }
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    kubelet.schedule(
        () -> {
          try {
            Pod p = client.pods().inNamespace(ns).withName(name).get();
            if (p == null || (p.getStatus() != null && p.getStatus().getPhase() != null)) {
              return;
            }
            String node = nodeFor(p);
            String waiting = stuck.get(name);
            List<io.fabric8.kubernetes.api.model.ContainerStatus> statuses = new ArrayList<>();
            boolean first = true;
            for (var c : p.getSpec().getContainers()) {
              var b =
                  new ContainerStatusBuilder()
                      .withName(c.getName())
                      .withImage(c.getImage())
                      .withRestartCount(0);
              if (waiting != null && !first) {
                b.withReady(false)
                    .withNewState()
                    .withNewWaiting()
                    .withReason(waiting)
                    .withMessage("back-off restarting")
                    .endWaiting()
                    .endState();
              } else {
                b.withReady(true)
                    .withNewState()
                    .withNewRunning()
                    .withStartedAt("2026-11-22T00:00:00Z")
                    .endRunning()
                    .endState();
              }
              statuses.add(b.build());
              first = false;
            }
            p.getSpec().setNodeName(node);
            p = client.pods().inNamespace(ns).resource(p).update();
            p.setStatus(
                new io.fabric8.kubernetes.api.model.PodStatusBuilder()
                    .withPhase("Running")
                    .withContainerStatuses(statuses)
                    .build());
            client.pods().inNamespace(ns).resource(p).updateStatus();
          } catch (RuntimeException e) {
            // the pod may have been deleted meanwhile
          }
        },
        readyDelayMillis,
        TimeUnit.MILLISECONDS);
  }

  private static String nodeFor(Pod p) {
    if (p.getSpec().getNodeName() != null) {
      return p.getSpec().getNodeName();
    }
    try {
      return p.getSpec()
          .getAffinity()
          .getNodeAffinity()
          .getRequiredDuringSchedulingIgnoredDuringExecution()
          .getNodeSelectorTerms()
          .get(0)
          .getMatchFields()
          .get(0)
          .getValues()
          .get(0);
    } catch (RuntimeException e) {
      return DEFAULT_NODE;
    }
  }

  public void awaitPods(String ns, Map<String, String> labels, int readyCount)
      throws InterruptedException {
    client
        .pods()
        .inNamespace(ns)
        .withLabels(labels)
        .informOnCondition(
            l -> l.stream().filter(Pods::ready).count() == readyCount && l.size() == readyCount)
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
  }

  public Set<String> podNames(String ns) {
    Set<String> out = new java.util.TreeSet<>();
    client
        .pods()
        .inNamespace(ns)
        .list()
        .getItems()
        .forEach(p -> out.add(p.getMetadata().getName()));
    return out;
  }

  @Override
  public void close() {
    resync.shutdownNow();
    informers.forEach(SharedIndexInformer::close);
    kubelet.shutdownNow();
    client.close();
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // The mock's Vert.x server gives its close 10 s; on a loaded machine a watch connection the
      // informers just dropped is sometimes still being torn down then. The test's own assertions
      // are done by now, and the forked test JVM ends anyway: leave the port, keep the result.
      System.err.println("mock API server did not close in time: " + e.getMessage());
    }
  }
}
