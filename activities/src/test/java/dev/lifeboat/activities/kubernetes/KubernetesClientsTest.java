package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker with no cluster says so at once, not after a minute of retries naming a host. */
class KubernetesClientsTest {
  @TempDir Path home;

  private String problem(Map<String, String> env, Map<String, String> props) {
    return KubernetesClients.notConfigured(env, props::get, home.toString(), Files::isRegularFile);
  }

  @Test
  void nothingConfiguredIsNamedWithWhatWouldDo() {
    assertThat(problem(Map.of(), Map.of()))
        .startsWith(
            "no Kubernetes cluster is configured for this worker: no kubeconfig (KUBECONFIG or "
                + home
                + "/.kube/config)");
    assertThat(problem(Map.of("KUBECONFIG", "/nonexistent/a:/nonexistent/b"), Map.of()))
        .isEqualTo(
            "no Kubernetes cluster is configured: KUBECONFIG names /nonexistent/a:/nonexistent/b,"
                + " which is not a file");
  }

  @Test
  void anyOfTheClientsSourcesCounts() throws Exception {
    assertThat(problem(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"), Map.of())).isNull();
    assertThat(problem(Map.of("KUBERNETES_MASTER", "https://k3s:6443"), Map.of())).isNull();
    assertThat(problem(Map.of(), Map.of("kubernetes.master", "https://k3s:6443"))).isNull();
    Path config = Files.writeString(home.resolve("cfg"), "apiVersion: v1\n");
    assertThat(problem(Map.of("KUBECONFIG", "/nonexistent:" + config), Map.of())).isNull();
    assertThat(problem(Map.of(), Map.of("kubeconfig", config.toString()))).isNull();
    Files.createDirectories(home.resolve(".kube"));
    Files.writeString(home.resolve(".kube/config"), "apiVersion: v1\n");
    assertThat(problem(Map.of(), Map.of())).isNull();
  }

  @Test
  void theSharedClientRefusesWithThatMessageWhereNothingIsConfigured() {
    // this machine's own setting decides; either way the supplier agrees with the check
    String here =
        KubernetesClients.notConfigured(
            System.getenv(),
            System.getProperties()::getProperty,
            System.getProperty("user.home"),
            Files::isRegularFile);
    if (here != null) {
      assertThatThrownBy(() -> KubernetesClients.shared().get())
          .isInstanceOf(ActionException.class)
          .hasMessage(here);
    } else {
      assertThat(KubernetesClients.shared().get()).isNotNull();
    }
  }
}
