package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.Action;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.function.Supplier;

/** The Kubernetes actions a worker registers, all sharing one client supplier. */
public final class KubernetesActions {
  private KubernetesActions() {}

  /** Pass {@link KubernetesClients#shared()} in a worker, a mock server's client in tests. */
  public static List<Action<?>> all(Supplier<KubernetesClient> clients) {
    return List.of(
        new Preflight(clients),
        new ScaleWorkload(clients),
        new WaitPodsGone(clients),
        new WaitReady(clients),
        new HelperPod(clients),
        new DeletePod(clients),
        new ExportResources(clients));
  }
}
