package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.runbook.KubernetesNames;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Map;

/**
 * A Deployment or StatefulSet as the actions see it: its desired replicas and the labels that
 * select its pods. Looking one up that does not exist is an invalid-argument failure naming it.
 */
record Workload(
    String namespace, WorkloadKind kind, String name, int replicas, Map<String, String> selector) {

  String describe() {
    return kind.label() + " " + namespace + "/" + name;
  }

  /** Parses {@code deployment/name} or {@code statefulset/name}. */
  static Workload lookup(KubernetesClient client, String namespace, String kindSlashName) {
    KubernetesNames.WorkloadRef ref;
    try {
      ref = KubernetesNames.workload(kindSlashName);
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid(e.getMessage());
    }
    return lookup(client, namespace, WorkloadKind.parse(ref.kind()), ref.name());
  }

  static Workload lookup(
      KubernetesClient client, String namespace, WorkloadKind kind, String name) {
    requireText(namespace, "namespace");
    requireText(name, "name");
    // the names become parts of the URL asked: '../' or '?' would ask another one
    requireNamespace(namespace);
    KubernetesNames.notSubdomain(name)
        .ifPresent(
            why -> {
              throw ActionException.invalid(kind.label() + " name " + why);
            });
    Integer replicas;
    LabelSelector selector;
    if (kind == WorkloadKind.STATEFULSET) {
      StatefulSet s = client.apps().statefulSets().inNamespace(namespace).withName(name).get();
      if (s == null) {
        throw notFound(client, namespace, kind, name);
      }
      replicas = s.getSpec().getReplicas();
      selector = s.getSpec().getSelector();
    } else {
      Deployment d = client.apps().deployments().inNamespace(namespace).withName(name).get();
      if (d == null) {
        throw notFound(client, namespace, kind, name);
      }
      replicas = d.getSpec().getReplicas();
      selector = d.getSpec().getSelector();
    }
    if (selector == null
        || selector.getMatchLabels() == null
        || selector.getMatchLabels().isEmpty()) {
      throw ActionException.invalid(
          kind.label()
              + " "
              + namespace
              + "/"
              + name
              + " selects its pods without matchLabels; give a label selector instead");
    }
    if (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()) {
      throw ActionException.invalid(
          kind.label()
              + " "
              + namespace
              + "/"
              + name
              + " selects its pods with matchExpressions, which this action does not evaluate; give a label selector");
    }
    return new Workload(
        namespace,
        kind,
        name,
        replicas == null ? 1 : replicas,
        Map.copyOf(selector.getMatchLabels()));
  }

  private static ActionException notFound(
      KubernetesClient client, String namespace, WorkloadKind kind, String name) {
    try {
      if (client.namespaces().withName(namespace).get() == null) {
        return ActionException.invalid(
            "namespace '"
                + namespace
                + "' does not exist (looking for "
                + kind.label()
                + " '"
                + name
                + "')");
      }
    } catch (KubernetesClientException e) {
      // a namespaced ServiceAccount may not read namespaces; the message below still names both
      return ActionException.invalid(
          kind.label()
              + " '"
              + name
              + "' not found in namespace '"
              + namespace
              + "' (or the namespace does not exist)");
    }
    return ActionException.invalid(
        kind.label() + " '" + name + "' not found in namespace '" + namespace + "'");
  }

  /** A namespace that is a DNS-1123 label, checked before it becomes part of a URL. */
  static void requireNamespace(String namespace) {
    KubernetesNames.notLabel(namespace)
        .ifPresent(
            why -> {
              throw ActionException.invalid("namespace " + why);
            });
  }

  static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw ActionException.invalid("'" + what + "' is required");
    }
  }
}
