package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code scale}: sets a Deployment's or StatefulSet's replicas through its scale subresource and
 * reports the count it had, so a finally step can put exactly that back. Also reports the nodes its
 * pods ran on, which a helper pod for a ReadWriteOnce volume must use after the pods are gone.
 */
public final class ScaleWorkload implements Action<ScaleWorkload.Args> {
  public record Args(
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the workload (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(pattern = KubernetesNames.WORKLOAD_KIND, description = "Deployment or StatefulSet")
          String kind,
      @Arg(
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "name of the workload (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          String name,
      @Arg(min = 0, description = "the replica count to set") Integer replicas) {}

  /** The step output; {@code previousReplicas} is what a later step scales back to. */
  public record Result(
      String namespace,
      String kind,
      String name,
      int previousReplicas,
      int replicas,
      List<String> nodes,
      String lastNode) {}

  /**
   * Remembers the original count before the change, so a retried attempt does not report 0 as
   * "previous".
   */
  public record Checkpoint(String target, int previousReplicas, List<String> nodes) {}

  private final Supplier<KubernetesClient> clients;

  public ScaleWorkload(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "scale";
  }

  @Override
  public String description() {
    return "Scale a Deployment or StatefulSet; outputs previousReplicas for scaling back";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) {
    if (args.replicas() == null || args.replicas() < 0) {
      throw ActionException.invalid("'replicas' must be 0 or more, got " + args.replicas());
    }
    KubernetesClient client = clients.get();
    WorkloadKind kind = WorkloadKind.parse(args.kind());
    Workload w = Workload.lookup(client, args.namespace(), kind, args.name());
    String target = w.describe();
    Checkpoint before =
        ctx.lastCheckpoint(Checkpoint.class)
            .filter(c -> target.equals(c.target()))
            .orElseGet(() -> new Checkpoint(target, w.replicas(), nodesOf(client, w)));
    ctx.checkpoint(before);
    if (w.replicas() != args.replicas()) {
      ctx.message("scaling " + target + " from " + w.replicas() + " to " + args.replicas());
      if (kind == WorkloadKind.STATEFULSET) {
        client
            .apps()
            .statefulSets()
            .inNamespace(w.namespace())
            .withName(w.name())
            .scale(args.replicas());
      } else {
        client
            .apps()
            .deployments()
            .inNamespace(w.namespace())
            .withName(w.name())
            .scale(args.replicas());
      }
    }
    ctx.log(
        "scaled "
            + target
            + " from "
            + before.previousReplicas()
            + " to "
            + args.replicas()
            + (before.nodes().isEmpty()
                ? ""
                : " (its pods ran on " + String.join(", ", before.nodes()) + ")"));
    return new Result(
        w.namespace(),
        kind.label(),
        w.name(),
        before.previousReplicas(),
        args.replicas(),
        before.nodes(),
        before.nodes().isEmpty() ? null : before.nodes().get(0));
  }

  private static List<String> nodesOf(KubernetesClient client, Workload w) {
    return client
        .pods()
        .inNamespace(w.namespace())
        .withLabels(w.selector())
        .list()
        .getItems()
        .stream()
        .sorted(java.util.Comparator.comparing((Pod p) -> p.getMetadata().getName()))
        .map(p -> p.getSpec() == null ? null : p.getSpec().getNodeName())
        .filter(Objects::nonNull)
        .distinct()
        .toList();
  }
}
