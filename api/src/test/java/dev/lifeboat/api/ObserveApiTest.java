package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus text endpoint, the OpenAPI document and the plan preview, on the shipped runbooks.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class ObserveApiTest {
  static final Path REPOSITORY = TestFolders.temp("observe-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", Path.of("..", "runbooks").toAbsolutePath().toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()));

  @TempDir Path work;
  ApiClient api;

  @BeforeEach
  void client() {
    api = new ApiClient(APP.getLocalPort());
  }

  @Test
  void prometheusSeriesAppearWithTheirFirstEvent() throws Exception {
    Path notes = Files.createDirectories(work.resolve("notes"));
    Files.writeString(notes.resolve("a.txt"), "alpha");
    Files.writeString(notes.resolve("b.txt"), "beta");
    String before = api.get("/admin/prometheus").raw();
    assertThat(before).doesNotContain("source=\"metrics-notes\"");

    var started =
        api.post(
            "/api/runbooks/local-backup/runs",
            "{\"params\": {\"path\": \"" + notes + "\", \"source\": \"metrics-notes\"}}");
    assertThat(started.status()).as(started.raw()).isEqualTo(202);
    String id = started.body().get("id").asText();
    awaitStatus(id, "COMPLETED");

    assertThat(api.get("/admin/prometheus").raw())
        .doesNotContain(
            "lifeboat_drill_last_success_timestamp_seconds{set=\"local\",source=\"metrics-notes\"}");
    var drill =
        api.post(
            "/api/runbooks/restore-drill/runs",
            "{\"params\": {\"set\": \"local\", \"source\": \"metrics-notes\"}}");
    assertThat(drill.status()).as(drill.raw()).isEqualTo(202);
    awaitStatus(drill.body().get("id").asText(), "COMPLETED");

    ApiClient.Answer text = api.get("/admin/prometheus");
    assertThat(text.status()).isEqualTo(200);
    assertThat(text.contentType()).startsWith("text/plain");
    assertThat(text.raw())
        .containsPattern(
            "lifeboat_backup_last_success_timestamp_seconds\\{set=\"local\",source=\"metrics-notes\"} \\d")
        .contains("lifeboat_backup_files{set=\"local\",source=\"metrics-notes\"} 2.0")
        .containsPattern(
            "lifeboat_backup_size_bytes\\{set=\"local\",source=\"metrics-notes\"} [1-9]")
        .containsPattern("lifeboat_archive_state\\{state=\"(verified|unverified)\"} [1-9]")
        .containsPattern(
            "lifeboat_run_total\\{runbook=\"local-backup\",status=\"COMPLETED\"} [1-9]")
        .contains("lifeboat_run_duration_seconds_bucket{runbook=\"local-backup\",le=\"+Inf\"}")
        .contains("# TYPE lifeboat_run_duration_seconds histogram")
        .containsPattern(
            "lifeboat_drill_last_success_timestamp_seconds\\{set=\"local\",source=\"metrics-notes\"} \\d")
        .containsPattern(
            "lifeboat_drill_restore_seconds\\{set=\"local\",source=\"metrics-notes\"} \\d");
  }

  @Test
  void aSourceWhoseArchivesAreAllDamagedKeepsItsSeriesAtZeroAndIsStale() throws Exception {
    Path src = Files.createDirectories(work.resolve("broken"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    new dev.lifeboat.activities.archive.Repository(REPOSITORY)
        .writeFromDirectory(
            "local",
            "metrics-broken",
            src,
            List.of(),
            List.of(),
            dev.lifeboat.activities.archive.ProgressListener.NONE);
    assertThat(api.get("/admin/prometheus").raw())
        .containsPattern(
            "lifeboat_backup_last_success_timestamp_seconds\\{set=\"local\",source=\"metrics-broken\"} [1-9]");
    try (var files = Files.list(REPOSITORY.resolve("local/metrics-broken"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".manifest.json")).toList()) {
        Files.delete(f); // listed as damaged from now on
      }
    }
    // the series stays, at 0, so LifeboatBackupStale fires for it
    assertThat(api.get("/admin/prometheus").raw())
        .contains(
            "lifeboat_backup_last_success_timestamp_seconds{set=\"local\",source=\"metrics-broken\"} 0.0");
    assertThat(api.get("/admin/healthcheck").raw())
        .contains("local/metrics-broken no good archive: 1 damaged");
  }

  /**
   * A source whose newest archive left out entries its backup could not read looked whole and fresh
   * everywhere but the run that made it. The listing, the Prometheus series the
   * LifeboatBackupIncomplete alert reads, the health check's message and detail, its gauge and
   * {@code list backups} now say so.
   */
  @Test
  void anArchiveShortOfUnreadableEntriesIsCountedWhereUsersLook() throws Exception {
    Path src = Files.createDirectories(work.resolve("gaps"));
    Files.writeString(src.resolve("a.txt"), "alpha");
    dev.lifeboat.activities.archive.Fixtures.tooDeepToRead(src);
    String name;
    try {
      name =
          new dev.lifeboat.activities.archive.Repository(REPOSITORY)
              .writeFromDirectory(
                  "local",
                  "metrics-gaps",
                  src,
                  List.of(),
                  List.of(),
                  dev.lifeboat.activities.archive.ProgressListener.NONE)
              .ref()
              .name();
    } finally {
      dev.lifeboat.activities.archive.Fixtures.removeTooDeep(src);
    }
    JsonNode listed = api.get("/api/backups?set=local&source=metrics-gaps").body();
    assertThat(listed.get(0).get("unreadable").asLong()).as(listed.toString()).isEqualTo(1);
    assertThat(api.get("/admin/prometheus").raw())
        .contains("lifeboat_backup_unreadable_entries{set=\"local\",source=\"metrics-gaps\"} 1.0");
    JsonNode staleness = api.get("/admin/healthcheck").body().get("staleness");
    assertThat(staleness.get("message").asText())
        .contains(
            "incomplete backups: local/metrics-gaps newest archive "
                + name
                + ": 1 entry could not be read and is NOT in it");
    assertThat(staleness.get("incomplete").get("local/metrics-gaps").asLong())
        .as(staleness.toString())
        .isEqualTo(1);
    assertThat(
            api.get("/admin/metrics")
                .body()
                .get("gauges")
                .get("lifeboat.backup.unreadable.local.metrics-gaps")
                .get("value")
                .asLong())
        .isEqualTo(1);
    CliTest.Outcome cli =
        CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "list", "backups");
    assertThat(cli.exit()).isZero();
    assertThat(cli.out())
        .containsPattern(
            "local/metrics-gaps/"
                + java.util.regex.Pattern.quote(name)
                + "  \\d+ bytes  1 files  unverified  INCOMPLETE: 1 unreadable NOT in it\n");
  }

  @Test
  void openApiDocumentCoversTheResourcesAndEveryGetAnswers() {
    ApiClient.Answer doc = api.get("/api/openapi.json");
    assertThat(doc.status()).as(doc.raw()).isEqualTo(200);
    assertThat(doc.body().get("openapi").asText()).startsWith("3.");
    JsonNode paths = doc.body().get("paths");
    List<String> names = new ArrayList<>();
    paths.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .contains(
            "/runbooks",
            "/runbooks/{name}",
            "/runbooks/{name}/runs",
            "/runbooks/{name}/plan",
            "/runs",
            "/runs/{id}",
            "/backups",
            "/actions");
    for (Iterator<String> it = paths.fieldNames(); it.hasNext(); ) {
      String path = it.next();
      if (!paths.get(path).has("get")) {
        continue;
      }
      String concrete =
          path.replace("{name}", "local-backup")
              .replace("{id}", "no-such-run@x")
              .replace("{set}", "local")
              .replace("{source}", "none")
              .replace("{archive}", "latest");
      ApiClient.Answer a = api.get("/api" + concrete);
      // a documented path exists: a missing run or archive is a JSON 404 from the resource, never
      // Jetty's
      assertThat(a.status()).as("GET %s: %s", concrete, a.raw()).isLessThan(500);
      if (a.status() == 404) {
        assertThat(a.body()).as("GET %s answers from its resource", concrete).isNotNull();
        assertThat(a.body().path("error").asText())
            .as(concrete)
            .doesNotContainIgnoringCase("HTTP 404 Not Found");
      }
    }
  }

  @Test
  void planShowsResolvedStepsAndStartsNothing() {
    int runsBefore = api.get("/api/runs").body().size();
    ApiClient.Answer plan =
        api.post(
            "/api/runbooks/local-backup/plan",
            "{\"params\": {\"path\": \"" + work + "\", \"source\": \"planned\"}}");
    assertThat(plan.status()).as(plan.raw()).isEqualTo(200);
    JsonNode steps = plan.body().get("steps");
    assertThat(steps.get(0).get("id").asText()).isEqualTo("archive");
    assertThat(steps.get(0).get("action").asText()).isEqualTo("backup");
    assertThat(steps.get(0).get("with").get("path").asText()).isEqualTo(work.toString());
    assertThat(steps.get(0).get("with").get("set").asText()).isEqualTo("local");
    assertThat(steps.get(0).get("with").get("source").asText()).isEqualTo("planned");
    // a step output is known only while running: it stays a reference
    assertThat(steps.get(1).get("with").get("archive").asText()).isEqualTo("${steps.archive.path}");

    ApiClient.Answer fanOut =
        api.post("/api/runbooks/members-backup-all/plan", "{\"params\": {\"members\": [2, 3]}}");
    assertThat(fanOut.status()).as(fanOut.raw()).isEqualTo(200);
    JsonNode each = null;
    for (JsonNode s : fanOut.body().get("steps")) {
      if (s.has("items")) {
        each = s;
      }
    }
    assertThat(each).as(fanOut.raw()).isNotNull();
    assertThat(each.get("items")).hasSize(2);
    assertThat(each.get("items").get(0).get("with").get("params").get("member").asText())
        .isEqualTo("2");

    ApiClient.Answer bad = api.post("/api/runbooks/local-backup/plan", "{\"params\": {}}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().get("param").asText()).isEqualTo("path");
    assertThat(api.post("/api/runbooks/no-such/plan", "{}").status()).isEqualTo(404);
    assertThat(api.get("/api/runs").body().size())
        .as("the plan started no run")
        .isEqualTo(runsBefore);
  }

  private void awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode run = null;
    while (System.nanoTime() < deadline) {
      run = api.get("/api/runs/" + ApiClient.enc(id)).body();
      if (status.equals(run.path("status").asText())) {
        return;
      }
      if (!List.of("RUNNING", "WAITING_FOR_APPROVAL").contains(run.path("status").asText())) {
        break;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("run " + id + " did not reach " + status + ": " + run);
  }
}
