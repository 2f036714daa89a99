package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
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
    return switch (t) {
      case "deployment", "deployments", "deploy" -> DEPLOYMENT;
      case "statefulset", "statefulsets", "sts" -> STATEFULSET;
      default ->
          throw ActionException.invalid(
              "kind '" + text + "' is not supported (Deployment or StatefulSet)");
    };
  }
}
