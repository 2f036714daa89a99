package dev.lifeboat.activities.kubernetes;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The names kubectl users give a kind (plural, singular, short name, Kind) mapped to Lifeboat's key
 * in {@link ExportResources#KINDS}: the one table export-resources and apply-resources both read.
 */
final class KindAliases {
  private static final Map<String, String> KEYS = new LinkedHashMap<>();

  static {
    alias("pods", "pod", "po");
    alias("services", "service", "svc");
    alias("deployments", "deployment", "deploy");
    alias("statefulsets", "statefulset", "sts");
    alias("daemonsets", "daemonset", "ds");
    alias("replicasets", "replicaset", "rs");
    alias("jobs", "job");
    alias("cronjobs", "cronjob", "cj");
    alias("pvc", "persistentvolumeclaims", "persistentvolumeclaim");
    alias("pv", "persistentvolumes", "persistentvolume");
    alias("sc", "storageclasses", "storageclass");
    alias("ingress", "ingresses", "ing");
    alias("ingressclass", "ingressclasses");
    alias("secret", "secrets");
    alias("configmap", "configmaps", "cm");
    alias("namespaces", "namespace", "ns");
  }

  private KindAliases() {}

  private static void alias(String key, String... names) {
    KEYS.put(key, key);
    for (String n : names) {
      KEYS.put(n, key);
    }
  }

  /**
   * The key for a name as a user writes it (any case, surrounding blanks ignored); null when
   * unknown.
   */
  static String key(String name) {
    return name == null ? null : KEYS.get(name.trim().toLowerCase(Locale.ROOT));
  }

  /** Every accepted name. */
  static java.util.Set<String> names() {
    return java.util.Collections.unmodifiableSet(KEYS.keySet());
  }
}
