package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every manifest in deploy/ parses as Kubernetes objects, and the RBAC grants what the actions use. */
class DeployManifestsTest {
  static final Path DEPLOY = Path.of("..", "deploy");

  static List<HasMetadata> objects() throws IOException {
    List<HasMetadata> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(DEPLOY)) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        if (f.getFileName().toString().equals("kustomization.yaml")) {
          continue;
        }
        for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
          if (doc.strip().isEmpty() || doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
            continue;
          }
          Object o = Serialization.unmarshal(doc);
          if (o instanceof KubernetesList l) {
            out.addAll(l.getItems());
          } else {
            assertThat(o).as(f + " parses to a Kubernetes object").isInstanceOf(HasMetadata.class);
            out.add((HasMetadata) o);
          }
        }
      }
    }
    return out;
  }

  @Test
  void manifestsParseAndKustomizationListsThem() throws IOException {
    List<HasMetadata> all = objects();
    assertThat(all).extracting(HasMetadata::getKind).contains("Namespace", "ServiceAccount", "Role", "ClusterRole",
        "RoleBinding", "ClusterRoleBinding", "Deployment", "PersistentVolumeClaim", "Service");
    @SuppressWarnings("unchecked")
    Map<String, Object> kustomization = Serialization.unmarshal(Files.readString(DEPLOY.resolve("kustomization.yaml")),
        Map.class);
    @SuppressWarnings("unchecked")
    List<String> resources = (List<String>) kustomization.get("resources");
    for (String r : resources) {
      assertThat(DEPLOY.resolve(r)).exists();
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> generators = (List<Map<String, Object>>) kustomization.get("configMapGenerator");
    @SuppressWarnings("unchecked")
    List<String> files = (List<String>) generators.get(0).get("files");
    for (String f : files) {
      assertThat(DEPLOY.resolve(f)).exists();
    }
    for (HasMetadata o : all) {
      if (o instanceof Deployment d) {
        var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo("lifeboat:latest");
        assertThat(c.getEnv()).extracting(e -> e.getName()).contains("LIFEBOAT_TEMPORAL_ADDRESS", "LIFEBOAT_REPOSITORY");
        assertThat(d.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("lifeboat");
      }
    }
  }

  @Test
  void runbookRoleGrantsWhatTheActionsUseAndNoMore() throws IOException {
    List<Role> roles = objects().stream().filter(o -> o instanceof Role && o.getMetadata().getName()
        .equals("lifeboat-runbooks")).map(Role.class::cast).toList();
    assertThat(roles).extracting(r -> r.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("quorum", "jupyter", "ml-workspace");
    assertThat(roles).allSatisfy(r -> assertThat(r.getRules()).isEqualTo(roles.get(0).getRules()));
    assertThat(objects()).filteredOn(o -> o instanceof RoleBinding)
        .extracting(o -> ((RoleBinding) o).getRoleRef().getKind()).containsOnly("Role");
    Map<String, List<String>> grants = new java.util.TreeMap<>();
    for (PolicyRule r : roles.get(0).getRules()) {
      for (String res : r.getResources()) {
        grants.put(res, r.getVerbs());
      }
    }
    assertThat(grants).containsEntry("pods", List.of("get", "list", "watch", "create", "delete"))
        .containsEntry("pods/log", List.of("get")).containsEntry("events", List.of("list"))
        .containsEntry("persistentvolumeclaims", List.of("get"))
        .containsEntry("statefulsets/scale", List.of("get", "patch", "update"))
        .containsEntry("statefulsets", List.of("get"));
    assertThat(grants.values()).allSatisfy(v -> assertThat(v).doesNotContain("*", "deletecollection", "escalate"));
    ClusterRole export = objects().stream().filter(o -> o instanceof ClusterRole && o.getMetadata().getName()
        .equals("lifeboat-export")).map(ClusterRole.class::cast).findFirst().orElseThrow();
    assertThat(export.getRules()).allSatisfy(r -> assertThat(r.getVerbs()).containsExactly("get", "list"));
  }
}
