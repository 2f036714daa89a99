package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What {@code kubectl apply -k} would apply: the tests build deploy/ and each overlay with the real
 * {@code kubectl kustomize} (no flags) and check the objects it produces.
 */
class DeployManifestsTest {
  static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();

  /**
   * The objects {@code kubectl kustomize <dir>} prints; fails with kubectl's message when the build
   * fails.
   */
  static List<HasMetadata> build(Path dir) throws IOException, InterruptedException {
    assumeTrue(
        kubectlPresent(),
        "kubectl is not installed: the kustomize builds of deploy/ are not checked");
    Process p =
        new ProcessBuilder("kubectl", "kustomize", dir.toString())
            .redirectErrorStream(false)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, err).isZero();
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : new String(out, StandardCharsets.UTF_8).split("(?m)^---\\s*$")) {
      if (doc.isBlank()) {
        continue;
      }
      Object o = Serialization.unmarshal(doc);
      if (o instanceof KubernetesList l) {
        objects.addAll(l.getItems());
      } else {
        objects.add((HasMetadata) o);
      }
    }
    return objects;
  }

  static boolean kubectlPresent() {
    try {
      Process p =
          new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  static Deployment deployment(List<HasMetadata> all, String name) {
    return all.stream()
        .filter(o -> o instanceof Deployment && o.getMetadata().getName().equals(name))
        .map(Deployment.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Deployment " + name));
  }

  static String env(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse(null);
  }

  @Test
  void baseBuildsWithRolesInTheirNamespacesAndDeploymentsReadyToRun() throws Exception {
    List<HasMetadata> all = build(DEPLOY);
    assertThat(all)
        .extracting(HasMetadata::getKind)
        .contains(
            "Namespace",
            "ServiceAccount",
            "Role",
            "ClusterRole",
            "RoleBinding",
            "ClusterRoleBinding",
            "Deployment",
            "PersistentVolumeClaim",
            "Service");
    assertThat(all)
        .filteredOn(o -> o instanceof RoleBinding)
        .extracting(o -> o.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("quorum", "jupyter", "ml-workspace");
    assertThat(all)
        .filteredOn(o -> o instanceof RoleBinding)
        .allSatisfy(
            o ->
                assertThat(((RoleBinding) o).getSubjects())
                    .singleElement()
                    .satisfies(
                        s ->
                            assertThat(s.getNamespace() + "/" + s.getName())
                                .isEqualTo("lifeboat/lifeboat")));
    assertThat(all)
        .filteredOn(
            o ->
                !(o instanceof Role
                    || o instanceof RoleBinding
                    || o instanceof ClusterRole
                    || o.getKind().equals("ClusterRoleBinding")
                    || o.getKind().equals("Namespace")))
        .allSatisfy(
            o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo("lifeboat"));

    Container api =
        deployment(all, "lifeboat-api").getSpec().getTemplate().getSpec().getContainers().get(0);
    Container worker =
        deployment(all, "lifeboat-worker").getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(api.getArgs()).containsExactly("server");
    assertThat(worker.getArgs()).containsExactly("worker");
    assertThat(env(api, "LIFEBOAT_WORKER")).as("the API runs no worker").isEqualTo("false");
    // the token only ever as a Secret reference
    EnvVar token =
        api.getEnv().stream()
            .filter(e -> e.getName().equals("LIFEBOAT_API_TOKEN"))
            .findFirst()
            .orElseThrow();
    assertThat(token.getValue()).isNull();
    assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("lifeboat-api-token");
    for (Container c : List.of(api, worker)) {
      assertThat(c.getImage()).isEqualTo("lifeboat:latest");
      assertThat(c.getLivenessProbe().getHttpGet().getPath()).endsWith("/health/live");
      assertThat(c.getReadinessProbe().getHttpGet().getPath()).endsWith("/health/ready");
      assertThat(c.getResources().getLimits()).containsKey("memory");
      assertThat(c.getResources().getRequests()).containsKeys("memory", "cpu");
      // the heap is bounded (a share of the limit, or the archive engine's bound on the worker)
      assertThat(env(c, "JAVA_TOOL_OPTIONS")).containsAnyOf("-XX:MaxRAMPercentage=", "-Xmx");
      assertThat(env(c, "LIFEBOAT_RUNBOOKS")).as("the runbooks built into the image").isNull();
    }
    // the worker does the archiving: the flags that hold the engine's memory bound, as
    // scripts/start.sh sets them
    assertThat(env(worker, "JAVA_TOOL_OPTIONS"))
        .contains("-Xmx512m", "-Xmn64m", "-XX:MaxDirectMemorySize=64m");
    assertThat(api.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/admin/health/live");
    assertThat(api.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/admin/health/ready");
  }

  @Test
  void runbookRoleGrantsWhatTheActionsUseAndNoMore() throws Exception {
    List<HasMetadata> all = build(DEPLOY);
    List<Role> roles =
        all.stream()
            .filter(o -> o instanceof Role && o.getMetadata().getName().equals("lifeboat-runbooks"))
            .map(Role.class::cast)
            .toList();
    assertThat(roles)
        .extracting(r -> r.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("quorum", "jupyter", "ml-workspace");
    assertThat(roles).allSatisfy(r -> assertThat(r.getRules()).isEqualTo(roles.get(0).getRules()));
    assertThat(all)
        .filteredOn(o -> o instanceof RoleBinding)
        .extracting(o -> ((RoleBinding) o).getRoleRef().getKind())
        .containsOnly("Role");
    Map<String, List<String>> grants = new java.util.TreeMap<>();
    for (PolicyRule r : roles.get(0).getRules()) {
      for (String res : r.getResources()) {
        grants.put(res, r.getVerbs());
      }
    }
    assertThat(grants)
        .containsEntry("pods", List.of("get", "list", "watch", "create", "delete"))
        .containsEntry("pods/log", List.of("get"))
        .containsEntry("events", List.of("list"))
        .containsEntry("persistentvolumeclaims", List.of("get"))
        .containsEntry("statefulsets/scale", List.of("get", "patch", "update"))
        .containsEntry("statefulsets", List.of("get"));
    assertThat(grants.values())
        .allSatisfy(v -> assertThat(v).doesNotContain("*", "deletecollection", "escalate"));
    ClusterRole export =
        all.stream()
            .filter(
                o ->
                    o instanceof ClusterRole && o.getMetadata().getName().equals("lifeboat-export"))
            .map(ClusterRole.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(export.getRules())
        .allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get", "list"));
  }

  @Test
  void otherNamespacesOverlayPlacesTheRoleThereOnly() throws Exception {
    List<HasMetadata> all = build(DEPLOY.resolve("overlays/other-namespaces"));
    assertThat(all)
        .filteredOn(o -> o instanceof Role)
        .extracting(o -> o.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("research", "notebooks");
    assertThat(all)
        .filteredOn(o -> o instanceof RoleBinding)
        .extracting(o -> o.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("research", "notebooks");
    assertThat(all).filteredOn(o -> o instanceof Deployment).hasSize(2);
  }

  @Test
  void runbooksOverlayMountsItsConfigMapInBothDeployments() throws Exception {
    List<HasMetadata> all = build(DEPLOY.resolve("overlays/runbooks-configmap"));
    HasMetadata configMap =
        all.stream().filter(o -> o.getKind().equals("ConfigMap")).findFirst().orElseThrow();
    assertThat(configMap.getMetadata().getName()).startsWith("lifeboat-runbooks-");
    assertThat(((io.fabric8.kubernetes.api.model.ConfigMap) configMap).getData())
        .containsKey("local-backup.yaml");
    for (String name : List.of("lifeboat-api", "lifeboat-worker")) {
      var spec = deployment(all, name).getSpec().getTemplate().getSpec();
      Container c = spec.getContainers().get(0);
      assertThat(env(c, "LIFEBOAT_RUNBOOKS")).isEqualTo("/runbooks");
      assertThat(c.getVolumeMounts())
          .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/runbooks"));
      // the generated name with its content hash, so a changed runbook rolls the pods
      assertThat(spec.getVolumes())
          .anySatisfy(
              v ->
                  assertThat(v.getConfigMap() == null ? null : v.getConfigMap().getName())
                      .isEqualTo(configMap.getMetadata().getName()));
    }
  }
}
