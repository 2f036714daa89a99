package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The shipped local-backup and local-restore runbooks, end to end on the embedded Temporal server. */
@ExtendWith(DropwizardExtensionsSupport.class)
class LocalBackupApiTest {
  static final Path REPOSITORY = TestFolders.temp("local-backup-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP = new DropwizardAppExtension<>(
      LifeboatApplication.class, LifeboatApplication.BUILT_IN_CONFIG,
      ConfigOverride.config("server.connector.port", "0"),
      ConfigOverride.config("runbooks", Path.of("..", "runbooks").toAbsolutePath().toString()),
      ConfigOverride.config("repository", REPOSITORY.toString()));

  @TempDir
  Path work;
  ApiClient api;

  @BeforeEach
  void client() {
    api = new ApiClient(APP.getLocalPort());
  }

  @Test
  void backupShowsProgressThenRestoresTheSameTree() throws Exception {
    Path notebooks = Files.createDirectories(work.resolve("notebooks"));
    Files.writeString(notebooks.resolve("transformer-training.ipynb"), "{\"cells\": []}");
    Files.createDirectories(notebooks.resolve("experiments/Überprüfung 数据"));
    Files.writeString(notebooks.resolve("experiments/Überprüfung 数据/results.csv"), "a,b\n1,2\n");
    Files.createDirectories(notebooks.resolve("empty-dir"));
    // incompressible data, big enough that the archive step is seen running with bytes done
    Random random = new Random(42);
    byte[] chunk = new byte[8 << 20];
    for (int i = 0; i < 8; i++) {
      random.nextBytes(chunk);
      Files.write(notebooks.resolve("models-" + i + ".bin"), chunk);
    }
    Map<String, String> before = tree(notebooks);

    String id = start("local-backup", "{\"params\": {\"path\": \"" + notebooks + "\"}}");
    AtomicBoolean sawProgress = new AtomicBoolean();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
      JsonNode run = api.get("/api/runs/" + ApiClient.enc(id)).body();
      JsonNode archive = step(run, "archive");
      if ("RUNNING".equals(archive.get("state").asText()) && archive.get("bytesDone").asLong() > 0
          && archive.get("bytesTotal").asLong() >= 64L << 20) {
        sawProgress.set(true);
      }
      return "COMPLETED".equals(run.get("status").asText()) || "FAILED".equals(run.get("status").asText());
    });
    JsonNode done = api.get("/api/runs/" + ApiClient.enc(id)).body();
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(sawProgress).as("archive step seen running with bytes done").isTrue();
    JsonNode archive = step(done, "archive");
    assertThat(archive.get("output").get("files").asInt()).isEqualTo(10);
    assertThat(archive.get("output").get("source").asText()).isEqualTo("notebooks");
    String archivePath = archive.get("output").get("path").asText();
    assertThat(archivePath).startsWith(REPOSITORY.resolve("local/notebooks").toString()).endsWith(".tar.gz");
    assertThat(step(done, "verify").get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(step(done, "prune").get("state").asText()).isEqualTo("SUCCEEDED");

    JsonNode backups = api.get("/api/backups?set=local&source=notebooks").body().get("backups");
    assertThat(backups).hasSize(1);
    assertThat(backups.get(0).get("verified").asBoolean()).isTrue();
    assertThat(backups.get(0).get("files").asInt()).isEqualTo(10);
    assertThat(backups.get(0).get("path").asText()).isEqualTo(archivePath);

    Path target = work.resolve("restored/notebooks");
    String restore = start("local-restore", "{\"params\": {\"path\": \"" + target + "\"}}");
    JsonNode restored = awaitEnd(restore);
    assertThat(restored.get("status").asText()).as(restored.toString()).isEqualTo("COMPLETED");
    assertThat(tree(target)).isEqualTo(before);
    assertThat(Files.isDirectory(target.resolve("empty-dir"))).isTrue();

    // a second restore into the now non-empty target is refused unless clean is given
    JsonNode refused = awaitEnd(start("local-restore", "{\"params\": {\"path\": \"" + target + "\"}}"));
    assertThat(refused.get("status").asText()).isEqualTo("FAILED");
    assertThat(refused.get("error").asText()).contains("step 'restore' failed").contains(target.toString());
    Files.writeString(target.resolve("stray.txt"), "x");
    JsonNode cleaned = awaitEnd(start("local-restore", "{\"params\": {\"path\": \"" + target
        + "\", \"source\": \"notebooks\", \"clean\": true}}"));
    assertThat(cleaned.get("status").asText()).as(cleaned.toString()).isEqualTo("COMPLETED");
    assertThat(tree(target)).isEqualTo(before);
  }

  @Test
  void missingOrEmptySourceFailsTheRunNamingThePath() throws Exception {
    Path missing = work.resolve("not-there");
    JsonNode failed = awaitEnd(start("local-backup", "{\"params\": {\"path\": \"" + missing + "\"}}"));
    assertThat(failed.get("status").asText()).isEqualTo("FAILED");
    assertThat(failed.get("error").asText()).contains("step 'archive' failed").contains(missing.toString());
    assertThat(step(failed, "verify").get("state").asText()).isEqualTo("SKIPPED");

    Path empty = Files.createDirectories(work.resolve("empty"));
    JsonNode emptyRun = awaitEnd(start("local-backup", "{\"params\": {\"path\": \"" + empty + "\"}}"));
    assertThat(emptyRun.get("status").asText()).isEqualTo("FAILED");
    assertThat(emptyRun.get("error").asText()).contains("empty");
    assertThat(api.get("/api/backups?source=empty").body().get("backups")).isEmpty();
  }

  @Test
  void badBackupQueryIsA400() {
    ApiClient.Answer a = api.get("/api/backups?set=..%2Fetc");
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.body().get("error").asText()).contains("'set'");
  }

  private String start(String runbook, String body) {
    ApiClient.Answer a = api.post("/api/runbooks/" + runbook + "/runs", body);
    assertThat(a.status()).as(a.raw()).isEqualTo(202);
    return a.body().get("id").asText();
  }

  private JsonNode awaitEnd(String id) {
    await().atMost(Duration.ofMinutes(2)).until(() -> {
      String s = api.get("/api/runs/" + ApiClient.enc(id)).body().get("status").asText();
      return s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELED");
    });
    return api.get("/api/runs/" + ApiClient.enc(id)).body();
  }

  private static JsonNode step(JsonNode run, String id) {
    for (JsonNode s : run.get("steps")) {
      if (s.get("id").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no step " + id + " in " + run);
  }

  private static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = dir.relativize(p).toString();
        if (Files.isRegularFile(p)) {
          out.put(rel, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)))
              + " " + Files.getPosixFilePermissions(p));
        } else if (Files.isDirectory(p) && !rel.isEmpty()) {
          out.put(rel + "/", "dir");
        }
      }
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
