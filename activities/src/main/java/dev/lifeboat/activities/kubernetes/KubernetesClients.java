package dev.lifeboat.activities.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.function.Supplier;

/**
 * The client the Kubernetes actions share. Built on first use, so a worker without cluster access
 * starts fine; the default builder reads the in-cluster ServiceAccount in a pod and the kubeconfig
 * elsewhere.
 */
public final class KubernetesClients {
  private KubernetesClients() {}

  /**
   * A supplier that builds one client on first call and returns it ever after; actions never close
   * it.
   */
  public static Supplier<KubernetesClient> shared() {
    return new Supplier<>() {
      private volatile KubernetesClient client;

      @Override
      public KubernetesClient get() {
        KubernetesClient c = client;
        if (c == null) {
          synchronized (this) {
            if (client == null) {
              client = new KubernetesClientBuilder().build();
            }
            c = client;
          }
        }
        return c;
      }
    };
  }
}
