package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compose file and the alert rules, checked by the tools users run them with. */
class DeployToolsTest {
  static final Path SOURCE = ManifestCommandsTest.SOURCE;

  record Result(int exit, String output) {}

  static Result run(Path dir, String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(
          false,
          command[0]
              + " is not installed (Debian: apt-get install docker-compose prometheus): "
              + "not checked");
      throw e;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  @Test
  void composeFileIsValidWithTheExampleEnvAndRefusesAMissingToken(@TempDir Path work)
      throws Exception {
    Path compose = SOURCE.resolve("deploy/compose/compose.yaml");
    Path env = work.resolve(".env");
    Files.writeString(
        env,
        Files.readString(SOURCE.resolve("deploy/compose/.env.example"))
            .replace("LIFEBOAT_API_TOKEN=\n", "LIFEBOAT_API_TOKEN=compose-test-token\n"));
    Result ok =
        run(
            work,
            "docker-compose",
            "-f",
            compose.toString(),
            "--env-file",
            env.toString(),
            "config");
    assertThat(ok.exit()).as(ok.output()).isZero();
    assertThat(ok.output())
        .contains(
            "start-dev",
            "/data/temporal.db",
            "LIFEBOAT_API_TOKEN: compose-test-token",
            "LIFEBOAT_TEMPORAL_ADDRESS: temporal:7233",
            "8233");
    assertThat(ok.output()).contains("- server");
    // the example alone has no token: compose refuses instead of starting an open Lifeboat
    Result noToken =
        run(
            work,
            "docker-compose",
            "-f",
            compose.toString(),
            "--env-file",
            SOURCE.resolve("deploy/compose/.env.example").toString(),
            "config");
    assertThat(noToken.exit()).isNotZero();
    assertThat(noToken.output()).contains("LIFEBOAT_API_TOKEN");
  }

  @Test
  void alertRulesPassPromtool() throws Exception {
    Result r = run(SOURCE, "promtool", "check", "rules", "deploy/prometheus/lifeboat-rules.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
    String rules = Files.readString(SOURCE.resolve("deploy/prometheus/lifeboat-rules.yml"));
    for (String name :
        List.of(
            "LifeboatBackupStale",
            "LifeboatRunFailed",
            "lifeboat_backup_last_success_timestamp_seconds",
            "lifeboat_run_total")) {
      assertThat(rules).contains(name);
    }
  }
}
