package dev.lifeboat.activities.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What a human needs when a pod does not do what a step expected: phase, container states with
 * waiting reasons and exit codes, the pod's last events and the tail of its container logs. Every
 * part is best effort, since the failure being explained may be that the API is unreachable.
 */
public final class PodDiagnostics {
  static final int EVENTS = 8;
  static final int LOG_LINES = 20;
  private static final int MAX_PODS = 3;

  private final KubernetesClient client;

  public PodDiagnostics(KubernetesClient client) {
    this.client = client;
  }

  /** Describes one pod by name; says so when it does not exist. */
  public String describe(String namespace, String podName) {
    try {
      Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
      if (pod == null) {
        return "pod "
            + namespace
            + "/"
            + podName
            + " does not exist"
            + events(namespace, "Pod", podName);
      }
      return describe(pod);
    } catch (RuntimeException e) {
      return "pod " + namespace + "/" + podName + ": cannot read it (" + e.getMessage() + ")";
    }
  }

  /** Describes the (first few) pods a selector matches. */
  public String describeSelected(String namespace, Map<String, String> selector) {
    try {
      List<Pod> pods = client.pods().inNamespace(namespace).withLabels(selector).list().getItems();
      if (pods.isEmpty()) {
        return "no pods in " + namespace + " match " + selector;
      }
      StringBuilder sb = new StringBuilder();
      pods.stream()
          .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
          .limit(MAX_PODS)
          .forEach(p -> sb.append(sb.length() == 0 ? "" : "\n").append(describe(p)));
      if (pods.size() > MAX_PODS) {
        sb.append("\n(").append(pods.size() - MAX_PODS).append(" more pods not shown)");
      }
      return sb.toString();
    } catch (RuntimeException e) {
      return "pods in "
          + namespace
          + " matching "
          + selector
          + ": cannot list them ("
          + e.getMessage()
          + ")";
    }
  }

  String describe(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    StringBuilder sb = new StringBuilder("pod ").append(ns).append('/').append(name);
    var status = pod.getStatus();
    sb.append(": phase ")
        .append(status == null || status.getPhase() == null ? "unknown" : status.getPhase());
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      sb.append(", terminating since ").append(pod.getMetadata().getDeletionTimestamp());
    }
    if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
      sb.append(", node ").append(pod.getSpec().getNodeName());
    }
    if (status != null) {
      if (status.getReason() != null) {
        sb.append(", reason ").append(status.getReason());
      }
      if (status.getMessage() != null) {
        sb.append(" (").append(status.getMessage()).append(')');
      }
      for (PodCondition c : nullSafe(status.getConditions())) {
        if (!"True".equals(c.getStatus())) {
          sb.append("\n  condition ").append(c.getType()).append('=').append(c.getStatus());
          if (c.getReason() != null) {
            sb.append(" ").append(c.getReason());
          }
          if (c.getMessage() != null) {
            sb.append(": ").append(c.getMessage());
          }
        }
      }
      List<ContainerStatus> all = new ArrayList<>(nullSafe(status.getInitContainerStatuses()));
      all.addAll(nullSafe(status.getContainerStatuses()));
      for (ContainerStatus cs : all) {
        sb.append("\n  container ")
            .append(cs.getName())
            .append(": ")
            .append(state(cs.getState()))
            .append(Boolean.TRUE.equals(cs.getReady()) ? ", ready" : ", not ready");
        if (cs.getRestartCount() != null && cs.getRestartCount() > 0) {
          sb.append(", restarts ").append(cs.getRestartCount());
        }
        if (cs.getLastState() != null && cs.getLastState().getTerminated() != null) {
          sb.append(", last ").append(state(cs.getLastState()));
        }
      }
    }
    sb.append(events(ns, "Pod", name));
    if (pod.getSpec() != null) {
      for (var c : nullSafe(pod.getSpec().getContainers())) {
        sb.append(logTail(ns, name, c.getName()));
      }
    }
    return sb.toString();
  }

  static String state(ContainerState s) {
    if (s == null) {
      return "no state";
    }
    if (s.getWaiting() != null) {
      return "waiting ("
          + s.getWaiting().getReason()
          + (s.getWaiting().getMessage() == null ? "" : ": " + s.getWaiting().getMessage())
          + ")";
    }
    if (s.getTerminated() != null) {
      var t = s.getTerminated();
      return "terminated (exit code "
          + t.getExitCode()
          + (t.getReason() == null ? "" : ", " + t.getReason())
          + (t.getMessage() == null ? "" : ": " + t.getMessage())
          + ")";
    }
    if (s.getRunning() != null) {
      return "running since " + s.getRunning().getStartedAt();
    }
    return "no state";
  }

  /** The last events about one object, oldest first. */
  String events(String namespace, String kind, String name) {
    try {
      List<Event> events =
          client.v1().events().inNamespace(namespace).list().getItems().stream()
              .filter(
                  e ->
                      e.getInvolvedObject() != null
                          && name.equals(e.getInvolvedObject().getName())
                          && (kind == null || kind.equals(e.getInvolvedObject().getKind())))
              .sorted(Comparator.comparing(PodDiagnostics::when))
              .toList();
      if (events.isEmpty()) {
        return "\n  events: none";
      }
      StringBuilder sb = new StringBuilder("\n  last events:");
      for (Event e : events.subList(Math.max(0, events.size() - EVENTS), events.size())) {
        sb.append("\n    ")
            .append(when(e))
            .append(' ')
            .append(e.getType())
            .append(' ')
            .append(e.getReason())
            .append(": ")
            .append(e.getMessage());
        if (e.getCount() != null && e.getCount() > 1) {
          sb.append(" (x").append(e.getCount()).append(')');
        }
      }
      return sb.toString();
    } catch (RuntimeException e) {
      return "\n  events: cannot list them (" + e.getMessage() + ")";
    }
  }

  private static String when(Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp();
    }
    if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
      return e.getEventTime().getTime();
    }
    return e.getMetadata() == null || e.getMetadata().getCreationTimestamp() == null
        ? ""
        : e.getMetadata().getCreationTimestamp();
  }

  private String logTail(String namespace, String pod, String container) {
    try {
      String log =
          client
              .pods()
              .inNamespace(namespace)
              .withName(pod)
              .inContainer(container)
              .tailingLines(LOG_LINES)
              .getLog();
      if (log == null || log.isBlank()) {
        return "\n  log of " + container + ": empty";
      }
      return "\n  log of "
          + container
          + " (last "
          + LOG_LINES
          + " lines):\n    "
          + log.strip().replace("\n", "\n    ");
    } catch (RuntimeException e) {
      return "\n  log of " + container + ": unavailable (" + firstLine(e.getMessage()) + ")";
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
