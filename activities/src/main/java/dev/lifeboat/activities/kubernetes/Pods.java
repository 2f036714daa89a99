package dev.lifeboat.activities.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/** Small facts about pods the actions agree on. */
final class Pods {
  private Pods() {}

  static boolean terminating(Pod p) {
    return p.getMetadata().getDeletionTimestamp() != null;
  }

  /** Running, not terminating, and every container ready (2/2, not 1/2). */
  static boolean ready(Pod p) {
    if (terminating(p) || p.getStatus() == null || !"Running".equals(p.getStatus().getPhase())) {
      return false;
    }
    int want =
        p.getSpec() == null || p.getSpec().getContainers() == null
            ? 0
            : p.getSpec().getContainers().size();
    List<ContainerStatus> cs = p.getStatus().getContainerStatuses();
    if (cs == null || cs.size() < want || want == 0) {
      return false;
    }
    return cs.stream().allMatch(c -> Boolean.TRUE.equals(c.getReady()));
  }

  /** "2/2" as kubectl shows it. */
  static String readyCount(Pod p) {
    int want =
        p.getSpec() == null || p.getSpec().getContainers() == null
            ? 0
            : p.getSpec().getContainers().size();
    List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
    long ready =
        cs == null ? 0 : cs.stream().filter(c -> Boolean.TRUE.equals(c.getReady())).count();
    return ready + "/" + want;
  }

  static String phase(Pod p) {
    return p.getStatus() == null || p.getStatus().getPhase() == null
        ? "Unknown"
        : p.getStatus().getPhase();
  }
}
