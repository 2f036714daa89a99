package dev.lifeboat.runbook;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Kubernetes' rules for object names, the one copy: the {@code name} and {@code workload} parameter
 * types, the Kubernetes actions' argument patterns and the actions' own checks before they build a
 * URL all read them. A name that breaks them would be refused by the API server at best, and at
 * worst ({@code ../}, {@code ?}) change which URL is asked.
 */
public final class KubernetesNames {
  /**
   * A DNS-1123 label: namespaces, StatefulSets, containers; lower-case letters, digits and '-',
   * starting and ending with a letter or digit, at most 63 characters.
   */
  public static final String LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";

  /**
   * A DNS-1123 subdomain: Deployments, pods, claims; labels joined by '.', at most 253 characters.
   */
  public static final String SUBDOMAIN =
      "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

  /** The kinds a workload may name, as kubectl users write them, to the kind's own name. */
  public static final Map<String, String> WORKLOAD_KINDS =
      Map.of(
          "deployment", "Deployment",
          "deployments", "Deployment",
          "deploy", "Deployment",
          "statefulset", "StatefulSet",
          "statefulsets", "StatefulSet",
          "sts", "StatefulSet");

  /** The keys of {@link #WORKLOAD_KINDS}, in any case, as a pattern. */
  public static final String WORKLOAD_KIND = "(?i:deployments?|deploy|statefulsets?|sts)";

  /** {@code <kind>/<name>}, e.g. {@code deployment/data-pod}. */
  public static final String WORKLOAD = WORKLOAD_KIND + "/" + SUBDOMAIN;

  private static final Pattern LABEL_RULE = Pattern.compile(LABEL);
  private static final Pattern SUBDOMAIN_RULE = Pattern.compile(SUBDOMAIN);

  private KubernetesNames() {}

  /** A workload reference taken apart: the kind's own name ({@code StatefulSet}) and the name. */
  public record WorkloadRef(String kind, String name) {}

  /** Why {@code value} is not a DNS-1123 label, or empty when it is one. */
  public static Optional<String> notLabel(String value) {
    if (value != null && LABEL_RULE.matcher(value).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        quote(value)
            + " is not a Kubernetes name (a DNS-1123 label: lower-case letters, digits and '-',"
            + " starting and ending with a letter or digit, at most 63 characters)");
  }

  /** Why {@code value} is not a DNS-1123 subdomain, or empty when it is one. */
  public static Optional<String> notSubdomain(String value) {
    if (value != null && SUBDOMAIN_RULE.matcher(value).matches()) {
      return Optional.empty();
    }
    return Optional.of(
        quote(value)
            + " is not a Kubernetes object name (a DNS-1123 subdomain: lower-case letters, digits,"
            + " '-' and '.', starting and ending with a letter or digit, at most 253 characters)");
  }

  /**
   * Parses {@code <kind>/<name>}.
   *
   * @throws IllegalArgumentException saying what a workload must look like
   */
  public static WorkloadRef workload(String value) {
    int slash = value == null ? -1 : value.indexOf('/');
    String kind =
        slash <= 0 ? null : WORKLOAD_KINDS.get(value.substring(0, slash).toLowerCase(Locale.ROOT));
    if (kind == null) {
      throw new IllegalArgumentException(
          quote(value)
              + " is not a workload: kind/name with kind deployment or statefulset"
              + " (e.g. deployment/data-pod)");
    }
    String name = value.substring(slash + 1);
    if (notSubdomain(name).isPresent()) {
      throw new IllegalArgumentException(
          quote(value)
              + " is not a workload: the name after the kind must be a Kubernetes object name"
              + " (lower-case letters, digits, '-' and '.', starting and ending with a letter or"
              + " digit, at most 253 characters)");
    }
    return new WorkloadRef(kind, name);
  }

  /** The value in quotes, cut short and with control characters shown as escapes. */
  private static String quote(String value) {
    if (value == null) {
      return "nothing";
    }
    String v = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    StringBuilder sb = new StringBuilder("'");
    v.codePoints()
        .forEach(
            c -> {
              if (Character.isISOControl(c)) {
                sb.append(String.format("\\x%02x", c));
              } else {
                sb.appendCodePoint(c);
              }
            });
    return sb.append("'").toString();
  }
}
