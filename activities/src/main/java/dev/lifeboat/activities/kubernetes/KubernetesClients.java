package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionException;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The client the Kubernetes actions share. Built on first use, so a worker without cluster access
 * starts fine; the default builder reads the in-cluster ServiceAccount in a pod and the kubeconfig
 * elsewhere.
 */
public final class KubernetesClients {
  private KubernetesClients() {}

  static final String SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

  /**
   * A supplier that builds one client on first call and returns it ever after; actions never close
   * it. Where nothing says which cluster to use, it refuses at once: the client would otherwise try
   * https://kubernetes.default.svc, and a step failed after three attempts and a minute saying only
   * "kubernetes.default.svc".
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
              String problem =
                  notConfigured(
                      System.getenv(),
                      System.getProperties()::getProperty,
                      System.getProperty("user.home"),
                      p -> Files.isRegularFile(p));
              if (problem != null) {
                throw ActionException.check(problem);
              }
              client = new KubernetesClientBuilder().build();
            }
            c = client;
          }
        }
        return c;
      }
    };
  }

  /**
   * Why no cluster is configured, or null when one of the client's sources names one: the
   * kubernetes.master or kubeconfig property, KUBERNETES_MASTER or KUBECONFIG, ~/.kube/config, or a
   * pod's ServiceAccount.
   */
  static String notConfigured(
      Map<String, String> env,
      java.util.function.Function<String, String> property,
      String home,
      Predicate<Path> isFile) {
    if (property.apply("kubernetes.master") != null
        || env.get("KUBERNETES_MASTER") != null
        || env.get("KUBERNETES_SERVICE_HOST") != null
        || isFile.test(Path.of(SERVICE_ACCOUNT_TOKEN))) {
      return null;
    }
    String kubeconfig = property.apply("kubeconfig");
    if (kubeconfig == null) {
      kubeconfig = env.get("KUBECONFIG");
    }
    if (kubeconfig != null && !kubeconfig.isBlank()) {
      for (String f : kubeconfig.split(":")) {
        if (!f.isBlank() && isFile.test(Path.of(f))) {
          return null;
        }
      }
      return "no Kubernetes cluster is configured: KUBECONFIG names "
          + kubeconfig
          + ", which is not a file";
    }
    if (home != null && isFile.test(Path.of(home, ".kube", "config"))) {
      return null;
    }
    return "no Kubernetes cluster is configured for this worker: no kubeconfig (KUBECONFIG or "
        + (home == null ? "~" : home)
        + "/.kube/config) and not in a pod with a ServiceAccount; give the worker a kubeconfig"
        + " to run Kubernetes steps";
  }
}
