package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * {@code helper-pod}: a temporary pod that mounts a PVC at {@code /data} so a step can read or
 * write the volume while its workload is scaled to zero. A ReadWriteOnce volume can only be
 * attached to one node, so the pod is pinned to the node that last ran the workload.
 */
public final class HelperPod implements Action<HelperPod.Args> {
  public static final String MOUNT_PATH = "/data";
  public static final String CONTAINER = "helper";
  public static final String LAST_NODE_ANNOTATION = "lifeboat/last-node";
  static final String SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
  static final Map<String, String> MANAGED =
      Map.of("app.kubernetes.io/managed-by", "lifeboat", "lifeboat/helper", "true");
  private static final Set<String> HOPELESS =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "InvalidImageName",
          "CreateContainerConfigError",
          "CreateContainerError",
          "CrashLoopBackOff",
          "RunContainerError");
  // A fixed script, never built from arguments: sleep until deleted, and exit at once on SIGTERM.
  static final List<String> COMMAND =
      List.of("sh", "-c", "trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done");

  public record Args(
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the PVC (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "the PersistentVolumeClaim to mount at /data (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String pvc,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "pod name (default: derived from the run and step, stable across retries) (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String name,
      @Arg(required = false, description = "container image with sh and tar (default busybox:1.36)")
          String image,
      @Arg(required = false, description = "extra labels") Map<String, String> labels,
      @Arg(required = false, description = "run on this node (skips the scheduler)")
          String nodeName,
      @Arg(
              required = false,
              description = "the node that last ran the workload, e.g. ${steps.scaledown.lastNode}")
          String lastNode,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "how long to wait until Running (default 5m)")
          String timeout) {
    public Args {
      image = image == null || image.isBlank() ? "busybox:1.36" : image;
      labels = labels == null ? Map.of() : labels;
    }
  }

  public record Result(
      String name, String namespace, String node, String pvc, String container, String mountPath) {}

  private final Supplier<KubernetesClient> clients;

  public HelperPod(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "helper-pod";
  }

  @Override
  public String description() {
    return "Start a temporary pod that mounts a PVC at /data (on the workload's node for ReadWriteOnce)";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws InterruptedException {
    KubernetesClient client = clients.get();
    Workload.requireText(args.namespace(), "namespace");
    Workload.requireText(args.pvc(), "pvc");
    PersistentVolumeClaim pvc =
        client.persistentVolumeClaims().inNamespace(args.namespace()).withName(args.pvc()).get();
    if (pvc == null) {
      throw ActionException.invalid(
          "PersistentVolumeClaim '"
              + args.pvc()
              + "' not found in namespace '"
              + args.namespace()
              + "'");
    }
    String name = args.name() == null || args.name().isBlank() ? generatedName(ctx) : args.name();
    Pod existing = client.pods().inNamespace(args.namespace()).withName(name).get();
    if (existing != null && !isOurs(existing, args.pvc())) {
      throw ActionException.invalid(
          "pod "
              + args.namespace()
              + "/"
              + name
              + " already exists and is not a Lifeboat helper for PVC "
              + args.pvc());
    }
    boolean created = false;
    if (existing == null || Pods.terminating(existing)) {
      if (existing != null) {
        new DeletePod(clients)
            .deleteAndWait(client, args.namespace(), name, Duration.ofMinutes(2), ctx);
      }
      String node = args.nodeName();
      boolean pinned = node != null && !node.isBlank();
      if (!pinned && singleNode(pvc)) {
        node = lastNode(client, pvc, args.lastNode());
      }
      client.pods().inNamespace(args.namespace()).resource(pod(args, name, node, pinned)).create();
      created = true;
      ctx.log(
          "created helper pod "
              + args.namespace()
              + "/"
              + name
              + " for PVC "
              + args.pvc()
              + (node == null ? "" : " on node " + node));
    } else {
      ctx.log("reusing helper pod " + args.namespace() + "/" + name + " from an earlier attempt");
    }
    try {
      Pod running =
          awaitRunning(
              client,
              args.namespace(),
              name,
              WaitPodsGone.timeout(args.timeout(), WaitPodsGone.DEFAULT_TIMEOUT),
              ctx);
      return new Result(
          name,
          args.namespace(),
          running.getSpec().getNodeName(),
          args.pvc(),
          CONTAINER,
          MOUNT_PATH);
    } catch (RuntimeException | InterruptedException e) {
      if (created) {
        // a helper that never became usable is removed here: the step fails without an output to
        // delete it by
        try {
          client.pods().inNamespace(args.namespace()).withName(name).delete();
        } catch (RuntimeException ignored) {
          // best effort; the runbook's finally step deletes it by name as well
        }
      }
      throw e;
    }
  }

  private Pod awaitRunning(
      KubernetesClient client, String namespace, String name, Duration timeout, ActionContext ctx)
      throws InterruptedException {
    WaitCheckpoint cp =
        PodWait.start(ctx, "helper pod " + namespace + "/" + name + " Running", timeout);
    String[] hopeless = {null};
    List<Pod> pods;
    try {
      pods =
          PodWait.until(
              client.pods().inNamespace(namespace).withField("metadata.name", name),
              list -> {
                if (list.isEmpty()) {
                  hopeless[0] = "it was deleted";
                  return true;
                }
                Pod p = list.get(0);
                String why = hopelessReason(p);
                if (why != null) {
                  hopeless[0] = why;
                  return true;
                }
                return "Running".equals(Pods.phase(p)) && !Pods.terminating(p);
              },
              list ->
                  list.isEmpty()
                      ? "gone"
                      : Pods.phase(list.get(0)) + " " + Pods.readyCount(list.get(0)),
              cp,
              ctx);
    } catch (TimeoutException e) {
      throw ActionException.check(
          "helper pod "
              + namespace
              + "/"
              + name
              + " did not reach Running within "
              + WaitPodsGone.seconds(cp)
              + "s\n"
              + new PodDiagnostics(client).describe(namespace, name));
    }
    if (hopeless[0] != null) {
      throw ActionException.check(
          "helper pod "
              + namespace
              + "/"
              + name
              + " cannot run: "
              + hopeless[0]
              + "\n"
              + new PodDiagnostics(client).describe(namespace, name));
    }
    return pods.get(0);
  }

  static String hopelessReason(Pod p) {
    String phase = Pods.phase(p);
    if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
      return "phase " + phase;
    }
    if (p.getStatus() != null && p.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
        if (cs.getState() != null
            && cs.getState().getWaiting() != null
            && HOPELESS.contains(cs.getState().getWaiting().getReason())) {
          return "container " + cs.getName() + " " + cs.getState().getWaiting().getReason();
        }
      }
    }
    return null;
  }

  static boolean singleNode(PersistentVolumeClaim pvc) {
    List<String> modes = pvc.getSpec() == null ? null : pvc.getSpec().getAccessModes();
    return modes == null
        || modes.isEmpty()
        || modes.contains("ReadWriteOnce")
        || modes.contains("ReadWriteOncePod");
  }

  /** A running pod that mounts the claim, else the hint, else what the PVC itself remembers. */
  static String lastNode(KubernetesClient client, PersistentVolumeClaim pvc, String hint) {
    String ns = pvc.getMetadata().getNamespace();
    String claim = pvc.getMetadata().getName();
    String fromPods =
        client.pods().inNamespace(ns).list().getItems().stream()
            .filter(p -> !MANAGED.get("lifeboat/helper").equals(labels(p).get("lifeboat/helper")))
            .filter(
                p ->
                    p.getSpec() != null
                        && p.getSpec().getVolumes() != null
                        && p.getSpec().getVolumes().stream()
                            .anyMatch(
                                v ->
                                    v.getPersistentVolumeClaim() != null
                                        && claim.equals(
                                            v.getPersistentVolumeClaim().getClaimName())))
            .sorted(java.util.Comparator.comparing((Pod p) -> Pods.terminating(p)))
            .map(p -> p.getSpec().getNodeName())
            .filter(Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (fromPods != null) {
      return fromPods;
    }
    if (hint != null && !hint.isBlank()) {
      return hint;
    }
    Map<String, String> ann =
        pvc.getMetadata().getAnnotations() == null ? Map.of() : pvc.getMetadata().getAnnotations();
    return ann.getOrDefault(LAST_NODE_ANNOTATION, ann.get(SELECTED_NODE_ANNOTATION));
  }

  private static Map<String, String> labels(Pod p) {
    return p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
  }

  private static boolean isOurs(Pod p, String pvc) {
    return "true".equals(labels(p).get("lifeboat/helper"))
        && p.getSpec() != null
        && p.getSpec().getVolumes() != null
        && p.getSpec().getVolumes().stream()
            .anyMatch(
                v ->
                    v.getPersistentVolumeClaim() != null
                        && pvc.equals(v.getPersistentVolumeClaim().getClaimName()));
  }

  static Pod pod(Args args, String name, String node, boolean pinned) {
    Map<String, String> labels = new LinkedHashMap<>(args.labels());
    labels.putAll(MANAGED);
    PodBuilder b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(args.namespace())
            .withLabels(labels)
            .addToAnnotations("lifeboat/pvc", args.pvc())
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withTerminationGracePeriodSeconds(5L)
            .addNewContainer()
            .withName(CONTAINER)
            .withImage(args.image())
            .withCommand(COMMAND)
            .addNewVolumeMount()
            .withName("data")
            .withMountPath(MOUNT_PATH)
            .endVolumeMount()
            .endContainer()
            .addNewVolume()
            .withName("data")
            .withNewPersistentVolumeClaim()
            .withClaimName(args.pvc())
            .endPersistentVolumeClaim()
            .endVolume()
            .endSpec();
    if (pinned) {
      b.editSpec().withNodeName(node).endSpec();
    } else if (node != null) {
      // node affinity on the node's name keeps the scheduler (and its taint checks) in the loop
      b.editSpec()
          .withNewAffinity()
          .withNewNodeAffinity()
          .withNewRequiredDuringSchedulingIgnoredDuringExecution()
          .addNewNodeSelectorTerm()
          .addNewMatchField()
          .withKey("metadata.name")
          .withOperator("In")
          .withValues(node)
          .endMatchField()
          .endNodeSelectorTerm()
          .endRequiredDuringSchedulingIgnoredDuringExecution()
          .endNodeAffinity()
          .endAffinity()
          .endSpec();
    }
    return b.build();
  }

  /** Stable across retries of the same step, so a retry finds the pod its first attempt made. */
  static String generatedName(ActionContext ctx) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest((ctx.runId() + "/" + ctx.stepKey()).getBytes(StandardCharsets.UTF_8));
      return "lifeboat-helper-" + HexFormat.of().formatHex(h, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
