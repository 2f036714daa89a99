package dev.lifeboat.activities.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.workflows.ActionFailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * helm runs the configured program; release, chart and namespace never become options or programs.
 */
class UpgradeReleaseTest {
  @TempDir Path dir;

  private Path helmStandIn() throws Exception {
    Path log = dir.resolve("helm.log");
    Path script = dir.resolve("helm");
    Files.writeString(
        script, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> '" + log + "'; done\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private Map<String, Object> run(UpgradeRelease action, Map<String, Object> args)
      throws Exception {
    return ActionDispatcher.invoke(action, args, new LocalActionContext("helm"));
  }

  @Test
  void runsTheConfiguredHelmWithPositionalValuesAfterDoubleDash() throws Exception {
    UpgradeRelease action =
        new UpgradeRelease(ProgramRunner.fromEnvironment(), helmStandIn().toString());
    run(
        action,
        Map.of("release", "jupyterhub", "chart", "jupyterhub/jupyterhub", "namespace", "jupyter"));
    assertThat(Files.readAllLines(dir.resolve("helm.log")))
        .containsExactly(
            "upgrade",
            "--install",
            "--namespace",
            "jupyter",
            "--create-namespace",
            "--wait",
            "--timeout",
            "900s",
            "--",
            "jupyterhub",
            "jupyterhub/jupyterhub");
  }

  @Test
  void aRunCannotChooseTheProgramNorPassOptions() throws Exception {
    Path marker = dir.resolve("ran");
    UpgradeRelease action =
        new UpgradeRelease(ProgramRunner.fromEnvironment(), helmStandIn().toString());
    Map<String, Object> withProgram =
        new HashMap<>(Map.of("release", "r", "chart", "c", "namespace", "n"));
    withProgram.put("helm", "/bin/sh");
    assertThatThrownBy(() -> run(action, withProgram))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT))
        .hasMessageContaining("helm");
    assertThatThrownBy(
            () ->
                run(
                    action,
                    Map.of("release", "r", "chart", "--post-renderer=" + marker, "namespace", "n")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'chart' must not start with '-'");
    assertThat(dir.resolve("helm.log")).doesNotExist();
    assertThat(marker).doesNotExist();
  }

  @Test
  void aMissingConfiguredHelmIsNamed() {
    UpgradeRelease action =
        new UpgradeRelease(ProgramRunner.withEnvironment(Map.of("PATH", dir.toString())), "helm");
    assertThatThrownBy(() -> run(action, Map.of("release", "r", "chart", "c", "namespace", "n")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("configured helm program 'helm' was not found")
        .hasMessageContaining("LIFEBOAT_HELM");
  }
}
