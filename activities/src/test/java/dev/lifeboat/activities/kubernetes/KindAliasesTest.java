package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** export-resources and apply-resources accept the same names for a kind. */
class KindAliasesTest {
  @Test
  void exportAndApplyAgreeOnEveryAlias() {
    for (String name : KindAliases.names()) {
      String key = KindAliases.key(name);
      var exported = ExportResourcesKinds.of(name);
      assertThat(exported).as(name).containsExactly(ExportResources.KINDS.get(key));
      if (ApplyResourcesKinds.applicable(key)) {
        assertThat(ApplyResources.kinds(List.of(name))).as(name).isEqualTo(exported);
        assertThat(ApplyResources.kinds(List.of(" " + name.toUpperCase() + " ")))
            .as(name)
            .isEqualTo(exported);
      } else {
        assertThatThrownBy(() -> ApplyResources.kinds(List.of(name)))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining("cannot recreate kind '" + name + "'");
      }
    }
  }

  @Test
  void kubectlShortNamesAreKnownToBoth() {
    for (String name :
        List.of(
            "pvc",
            "persistentvolumeclaim",
            "svc",
            "ns",
            "cm",
            "sc",
            "ing",
            "deploy",
            "sts",
            "ds")) {
      assertThat(ApplyResources.kinds(List.of(name)))
          .as(name)
          .isEqualTo(ExportResourcesKinds.of(name));
    }
    assertThatThrownBy(() -> ApplyResources.kinds(List.of("widgets")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("widgets");
    assertThatThrownBy(() -> ExportResourcesKinds.of("widgets"))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("unknown kind 'widgets'");
  }

  /** Package-level access to export's private parsing. */
  static final class ExportResourcesKinds {
    static List<ExportResources.Kind> of(String name) {
      return ExportResources.kinds(List.of(name));
    }
  }

  static final class ApplyResourcesKinds {
    static boolean applicable(String key) {
      return ApplyResources.APPLICABLE.contains(key);
    }
  }
}
