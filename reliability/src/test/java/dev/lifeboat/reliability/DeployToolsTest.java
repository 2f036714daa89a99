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
            "LifeboatBackupIncomplete",
            "lifeboat_backup_last_success_timestamp_seconds",
            "lifeboat_backup_unreadable_entries",
            "lifeboat_run_total")) {
      assertThat(rules).contains(name);
    }
  }

  /**
   * A source whose newest archive left out entries its backup could not read: the incomplete alert
   * fires for it alone, and clears once a whole backup brings its count back to 0.
   */
  @Test
  void theIncompleteBackupAlertFiresWhileTheNewestArchiveLacksUnreadableEntries(@TempDir Path work)
      throws Exception {
    Files.copy(
        SOURCE.resolve("deploy/prometheus/lifeboat-rules.yml"), work.resolve("lifeboat-rules.yml"));
    Files.writeString(
        work.resolve("incomplete-test.yml"),
        String.join(
            "\n",
            "rule_files: [lifeboat-rules.yml]",
            "evaluation_interval: 1m",
            "tests:",
            "  - interval: 1m",
            "    input_series:",
            "      - series: 'lifeboat_backup_unreadable_entries{set=\"tier1\",source=\"notebooks\"}'",
            "        values: '2 2 0'",
            "      - series: 'lifeboat_backup_unreadable_entries{set=\"tier1\",source=\"models\"}'",
            "        values: '0 0 0'",
            "    alert_rule_test:",
            "      - eval_time: 1m",
            "        alertname: LifeboatBackupIncomplete",
            "        exp_alerts:",
            "          - exp_labels: {severity: warning, set: tier1, source: notebooks}",
            "            exp_annotations:",
            "              summary: 'The newest backup of tier1/notebooks lacks 2 unreadable entries'",
            "              description: 'The newest good archive of tier1/notebooks left out 2"
                + " entries its backup could not read (permission denied, an I/O error, vanished"
                + " while read); the run''s backup step lists them under skipped. A restore"
                + " brings back everything else.'",
            "      - eval_time: 2m",
            "        alertname: LifeboatBackupIncomplete",
            "        exp_alerts: []",
            ""));
    Result r = run(work, "promtool", "test", "rules", "incomplete-test.yml");
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }
}
