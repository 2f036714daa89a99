package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code preflight}: checks that the namespace, workloads and PVCs a runbook is about to touch
 * exist, so a typo fails the run before anything is scaled down.
 */
public final class Preflight implements Action<Preflight.Args> {
  public record Args(
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace everything below lives in (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              required = false,
              pattern = KubernetesNames.LABEL,
              description =
                  "StatefulSets that must exist (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          List<String> statefulsets,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "Deployments that must exist (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          List<String> deployments,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "PersistentVolumeClaims that must exist (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          List<String> pvcs,
      @Arg(
              required = false,
              pattern = KubernetesNames.SUBDOMAIN,
              description =
                  "pods that must exist (a Kubernetes object name: lower-case letters, digits, - and ., at most 253)")
          List<String> pods) {
    public Args {
      statefulsets = statefulsets == null ? List.of() : List.copyOf(statefulsets);
      deployments = deployments == null ? List.of() : List.copyOf(deployments);
      pvcs = pvcs == null ? List.of() : List.copyOf(pvcs);
      pods = pods == null ? List.of() : List.copyOf(pods);
    }
  }

  /** What was found. */
  public record Result(String namespace, List<String> checked) {}

  private final Supplier<KubernetesClient> clients;

  public Preflight(Supplier<KubernetesClient> clients) {
    this.clients = clients;
  }

  @Override
  public String name() {
    return "preflight";
  }

  @Override
  public String description() {
    return "Check that a namespace and the workloads, PVCs and pods a runbook needs exist, before any change";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) {
    Workload.requireText(args.namespace(), "namespace");
    KubernetesClient client = clients.get();
    String ns = args.namespace();
    if (!namespaceExists(client, ns)) {
      throw ActionException.invalid("namespace '" + ns + "' does not exist");
    }
    List<String> missing = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    for (String s : args.statefulsets()) {
      check(
          client.apps().statefulSets().inNamespace(ns).withName(s).get() != null,
          "statefulset/" + s,
          missing,
          checked);
    }
    for (String d : args.deployments()) {
      check(
          client.apps().deployments().inNamespace(ns).withName(d).get() != null,
          "deployment/" + d,
          missing,
          checked);
    }
    for (String p : args.pvcs()) {
      check(
          client.persistentVolumeClaims().inNamespace(ns).withName(p).get() != null,
          "pvc/" + p,
          missing,
          checked);
    }
    for (String p : args.pods()) {
      check(client.pods().inNamespace(ns).withName(p).get() != null, "pod/" + p, missing, checked);
    }
    if (!missing.isEmpty()) {
      throw ActionException.invalid(
          "not found in namespace '"
              + ns
              + "': "
              + String.join(", ", missing)
              + "; nothing was changed");
    }
    ctx.log(
        "found in "
            + ns
            + ": "
            + (checked.isEmpty() ? "the namespace" : String.join(", ", checked)));
    return new Result(ns, checked);
  }

  /**
   * Namespaces are cluster-scoped: a least-privilege ServiceAccount may not read them, then the
   * objects tell.
   */
  private static boolean namespaceExists(KubernetesClient client, String ns) {
    try {
      return client.namespaces().withName(ns).get() != null;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return true;
      }
      throw e;
    }
  }

  private static void check(
      boolean found, String what, List<String> missing, List<String> checked) {
    (found ? checked : missing).add(what);
  }
}
