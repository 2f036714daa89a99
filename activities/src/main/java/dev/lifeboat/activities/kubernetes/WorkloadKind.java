package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.runbook.KubernetesNames;
import java.util.Locale;

/** The workloads the actions can scale and find pods of. */
public enum WorkloadKind {
  DEPLOYMENT("Deployment"),
  STATEFULSET("StatefulSet");

  private final String label;

  WorkloadKind(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /**
   * Accepts the kind as kubectl does: {@code Deployment}, {@code deployment}, {@code deploy},
   * {@code sts}.
   */
  public static WorkloadKind parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    String kind = KubernetesNames.WORKLOAD_KINDS.get(t);
    if (kind == null) {
      throw ActionException.invalid(
          "kind '" + text + "' is not supported (Deployment or StatefulSet)");
    }
    return kind.equals(STATEFULSET.label) ? STATEFULSET : DEPLOYMENT;
  }
}
