package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;

/**
 * Which pods a wait is about: a label selector, or the pods of a workload given by kind and name.
 */
record WaitTarget(String namespace, Map<String, String> selector, Workload workload) {

  static WaitTarget of(
      KubernetesClient client,
      String namespace,
      Map<String, String> selector,
      String kind,
      String name) {
    Workload.requireText(namespace, "namespace");
    boolean bySelector = selector != null && !selector.isEmpty();
    boolean byWorkload = kind != null || name != null;
    if (bySelector == byWorkload) {
      throw ActionException.invalid(
          "give either 'selector' (labels) or 'kind' and 'name' of the workload");
    }
    if (bySelector) {
      return new WaitTarget(namespace, Map.copyOf(selector), null);
    }
    Workload w = Workload.lookup(client, namespace, WorkloadKind.parse(kind), name);
    return new WaitTarget(namespace, w.selector(), w);
  }

  String describe() {
    return workload != null
        ? "pods of " + workload.describe()
        : "pods in " + namespace + " with labels " + selector;
  }
}
