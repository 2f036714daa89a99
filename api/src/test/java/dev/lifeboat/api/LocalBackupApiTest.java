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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped local-backup and local-restore runbooks, end to end on the embedded Temporal server.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class LocalBackupApiTest {
  static final Path REPOSITORY = TestFolders.temp("local-backup-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", Path.of("..", "runbooks").toAbsolutePath().toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()));

  static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();

  @TempDir Path work;
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
    byte[] chunk = new byte[1 << 20];
    new Random(42).nextBytes(chunk);
    Files.write(notebooks.resolve("model.bin"), chunk);
    Map<String, String> before = tree(notebooks);

    String id = start("local-backup", "{\"params\": {\"path\": \"" + notebooks + "\"}}");
    awaitEnd(id);
    JsonNode done = api.get("/api/runs/" + ApiClient.enc(id)).body();
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    JsonNode archive = step(done, "archive");
    assertThat(archive.get("output").get("files").asInt()).isEqualTo(3);
    assertThat(archive.get("filesDone").asInt()).isEqualTo(3);
    assertThat(archive.get("bytesDone").asLong())
        .isEqualTo(archive.get("bytesTotal").asLong())
        .isGreaterThan(1 << 20);
    assertThat(archive.get("output").get("source").asText()).isEqualTo("notebooks");
    String archivePath = archive.get("output").get("path").asText();
    assertThat(archivePath)
        .startsWith(REPOSITORY.resolve("local/notebooks").toString())
        .endsWith(".tar.gz");
    assertThat(step(done, "verify").get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(step(done, "prune").get("state").asText()).isEqualTo("SUCCEEDED");

    JsonNode backups = api.get("/api/backups?set=local&source=notebooks").body();
    assertThat(backups).hasSize(1);
    assertThat(backups.get(0).get("verified").asBoolean()).isTrue();
    assertThat(backups.get(0).get("files").asInt()).isEqualTo(3);
    assertThat(backups.get(0).get("path").asText()).isEqualTo(archivePath);

    // single-file restore: list the files of the archive, download one, checked against its digest
    JsonNode files = api.get("/api/backups/local/notebooks/latest/files").body();
    assertThat(files.get("files").findValuesAsText("path"))
        .contains(
            "transformer-training.ipynb", "experiments/Überprüfung 数据/results.csv", "empty-dir");
    java.net.http.HttpResponse<byte[]> one =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:"
                                + APP.getLocalPort()
                                + "/api/backups/local/notebooks/latest/file?path="
                                + java.net.URLEncoder.encode(
                                    "experiments/Überprüfung 数据/results.csv", "UTF-8")))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(new String(one.body(), java.nio.charset.StandardCharsets.UTF_8))
        .isEqualTo("a,b\n1,2\n");
    assertThat(one.headers().firstValue("Content-Disposition").orElse("")).contains("results.csv");
    ApiClient.Answer noFile = api.get("/api/backups/local/notebooks/latest/file?path=nope.txt");
    assertThat(noFile.status()).isEqualTo(404);
    assertThat(noFile.body().get("error").asText()).contains("nope.txt");
    assertThat(api.get("/api/backups/local/ghost/latest/files").status()).isEqualTo(404);

    Path target = work.resolve("restored/notebooks");
    String restore = start("local-restore", "{\"params\": {\"path\": \"" + target + "\"}}");
    JsonNode restored = awaitEnd(restore);
    assertThat(restored.get("status").asText()).as(restored.toString()).isEqualTo("COMPLETED");
    assertThat(tree(target)).isEqualTo(before);
    assertThat(Files.isDirectory(target.resolve("empty-dir"))).isTrue();

    // a second restore into the now non-empty target is refused unless clean is given
    JsonNode refused =
        awaitEnd(start("local-restore", "{\"params\": {\"path\": \"" + target + "\"}}"));
    assertThat(refused.get("status").asText()).isEqualTo("FAILED");
    assertThat(refused.get("error").asText())
        .contains("step 'restore' failed")
        .contains(target.toString());
    Files.writeString(target.resolve("stray.txt"), "x");
    JsonNode cleaned =
        awaitEnd(
            start(
                "local-restore",
                "{\"params\": {\"path\": \""
                    + target
                    + "\", \"source\": \"notebooks\", \"clean\": true}}"));
    assertThat(cleaned.get("status").asText()).as(cleaned.toString()).isEqualTo("COMPLETED");
    assertThat(tree(target)).isEqualTo(before);

    // the monthly drill restores an archive into scratch and checks it file by file; no offsite
    // asked for
    JsonNode drill =
        awaitEnd(
            start(
                "restore-drill", "{\"params\": {\"set\": \"local\", \"source\": \"notebooks\"}}"));
    assertThat(drill.get("status").asText()).as(drill.toString()).isEqualTo("COMPLETED");
    assertThat(step(drill, "drill").get("output").get("ok").asBoolean()).isTrue();
    assertThat(step(drill, "drill").get("output").get("restoredFiles").asInt()).isEqualTo(3);
    assertThat(step(drill, "offsite").get("state").asText()).isEqualTo("SKIPPED");
  }

  @Test
  void aZstdBackupIsBrowsedDownloadedAndRestoredLikeAGzipOne() throws Exception {
    Path src = Files.createDirectories(work.resolve("zstd-src"));
    Files.createDirectories(src.resolve("runs/Überprüfung"));
    Files.writeString(src.resolve("runs/Überprüfung/loss.csv"), "epoch,loss\n1,0.5\n");
    Files.writeString(src.resolve("train.py"), "print('hi')\n");
    Map<String, String> before = tree(src);

    JsonNode done =
        awaitEnd(
            start(
                "local-backup",
                "{\"params\": {\"path\": \""
                    + src
                    + "\", \"source\": \"zsrc\", \"compression\": \"zstd\"}}"));
    assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
    assertThat(step(done, "archive").get("output").get("path").asText()).endsWith(".tar.zst");

    JsonNode files = api.get("/api/backups/local/zsrc/latest/files").body();
    assertThat(files.get("archive").asText()).endsWith(".tar.zst");
    assertThat(files.get("files").findValuesAsText("path"))
        .contains("train.py", "runs/Überprüfung/loss.csv");
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + APP.getLocalPort() + "/api/backups/local/zsrc/latest/";
    java.net.http.HttpResponse<String> one =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "file?path=train.py"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.body()).isEqualTo("print('hi')\n");
    // a folder comes as a .tar.gz whatever the archive's kind; GNU tar reads it
    java.net.http.HttpResponse<byte[]> folder =
        http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "folder?path=runs"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(folder.statusCode()).isEqualTo(200);
    Path tgz = work.resolve("runs.tar.gz");
    Files.write(tgz, folder.body());
    Path out = Files.createDirectories(work.resolve("folder-out"));
    Process tar = new ProcessBuilder("tar", "xzf", tgz.toString(), "-C", out.toString()).start();
    assertThat(tar.waitFor()).isZero();
    assertThat(Files.readString(out.resolve("runs/Überprüfung/loss.csv")))
        .isEqualTo("epoch,loss\n1,0.5\n");

    Path target = work.resolve("zstd-restored");
    JsonNode restored =
        awaitEnd(
            start(
                "local-restore",
                "{\"params\": {\"path\": \"" + target + "\", \"source\": \"zsrc\"}}"));
    assertThat(restored.get("status").asText()).as(restored.toString()).isEqualTo("COMPLETED");
    assertThat(tree(target)).isEqualTo(before);
  }

  /**
   * A large source (sparse, so it costs no disk) keeps the archive step busy long enough to watch
   * its bytes move; cancelling it then must leave nothing in the repository that looks like a
   * backup.
   */
  @Test
  void progressIsVisibleWhileItRunsAndCancelLeavesNoArchive() throws Exception {
    Path big = Files.createDirectories(work.resolve("bigdata"));
    try (var f = new java.io.RandomAccessFile(big.resolve("checkpoint.bin").toFile(), "rw")) {
      f.setLength(8L << 30);
    }
    Files.writeString(big.resolve("README.md"), "weights");
    String id = start("local-backup", "{\"params\": {\"path\": \"" + big + "\"}}");
    AtomicBoolean moving = new AtomicBoolean();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              JsonNode archive = step(api.get("/api/runs/" + ApiClient.enc(id)).body(), "archive");
              long done = archive.get("bytesDone").asLong();
              long total = archive.get("bytesTotal").asLong();
              moving.set(
                  "RUNNING".equals(archive.get("state").asText()) && done > 0 && done < total);
              return moving.get()
                  || !"RUNNING".equals(archive.get("state").asText())
                      && !"PENDING".equals(archive.get("state").asText());
            });
    assertThat(moving).as("archive step seen running with 0 < bytesDone < bytesTotal").isTrue();
    JsonNode running = api.get("/api/runs/" + ApiClient.enc(id)).body();
    assertThat(running.get("status").asText()).isEqualTo("RUNNING");
    assertThat(running.get("currentStep").asText()).isEqualTo("archive");
    assertThat(step(running, "archive").get("bytesTotal").asLong()).isEqualTo((8L << 30) + 7);

    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "").status()).isEqualTo(202);
    JsonNode canceled = awaitEnd(id);
    assertThat(canceled.get("status").asText()).isEqualTo("CANCELED");
    assertThat(step(canceled, "verify").get("state").asText()).isEqualTo("SKIPPED");
    assertThat(api.get("/api/backups?source=bigdata").body()).isEmpty();
    Path sourceDir = REPOSITORY.resolve("local/bigdata");
    if (Files.exists(sourceDir)) {
      try (Stream<Path> left = Files.list(sourceDir)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .as("nothing that looks like an archive")
            .noneMatch(n -> n.endsWith(".tar.gz"));
      }
    }
  }

  @Test
  void missingOrEmptySourceFailsTheRunNamingThePath() throws Exception {
    Path missing = work.resolve("not-there");
    JsonNode failed =
        awaitEnd(start("local-backup", "{\"params\": {\"path\": \"" + missing + "\"}}"));
    assertThat(failed.get("status").asText()).isEqualTo("FAILED");
    assertThat(failed.get("error").asText())
        .contains("step 'archive' failed")
        .contains(missing.toString());
    assertThat(step(failed, "verify").get("state").asText()).isEqualTo("SKIPPED");

    Path empty = Files.createDirectories(work.resolve("empty"));
    JsonNode emptyRun =
        awaitEnd(start("local-backup", "{\"params\": {\"path\": \"" + empty + "\"}}"));
    assertThat(emptyRun.get("status").asText()).isEqualTo("FAILED");
    assertThat(emptyRun.get("error").asText()).contains("empty");
    assertThat(api.get("/api/backups?source=empty").body()).isEmpty();
  }

  @Test
  void aDamagedArchiveIsListedWithItsErrorAndLatestFilesComeFromTheGoodOne() throws Exception {
    Path src = Files.createDirectories(work.resolve("state-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    var older =
        new dev.lifeboat.activities.archive.Repository(
                REPOSITORY,
                java.time.Clock.fixed(
                    java.time.Instant.parse("2026-11-01T02:00:00Z"), java.time.ZoneOffset.UTC))
            .writeFromDirectory(
                "state", "db@host", src, java.util.List.of(), java.util.List.of(), null);
    var newer =
        new dev.lifeboat.activities.archive.Repository(
                REPOSITORY,
                java.time.Clock.fixed(
                    java.time.Instant.parse("2026-11-02T02:00:00Z"), java.time.ZoneOffset.UTC))
            .writeFromDirectory(
                "state", "db@host", src, java.util.List.of(), java.util.List.of(), null);
    Files.delete(newer.ref().manifestPath());

    JsonNode backups = api.get("/api/backups?set=state&source=db@host").body();
    assertThat(backups).hasSize(2);
    assertThat(backups.get(0).get("name").asText()).isEqualTo(newer.ref().name());
    assertThat(backups.get(0).get("state").asText()).isEqualTo("damaged");
    assertThat(backups.get(0).get("error").asText()).contains("has no manifest");
    assertThat(backups.get(1).get("state").asText()).isEqualTo("unverified");
    assertThat(backups.get(1).has("error") && !backups.get(1).get("error").isNull()).isFalse();

    var latest = api.get("/api/backups/state/db@host/latest/files");
    assertThat(latest.status()).isEqualTo(200);
    assertThat(latest.body().get("archive").asText()).isEqualTo(older.ref().name());
    var damaged = api.get("/api/backups/state/db@host/" + newer.ref().name() + "/files");
    assertThat(damaged.status()).isEqualTo(409);
    assertThat(damaged.body().get("error").asText()).contains("has no manifest");
  }

  @Test
  void aCraftedArchiveIsNotRepackagedAndANameHeldTwiceDownloadsAsTheLast() throws Exception {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      putFile(out, "twice.txt", "first");
      putFile(out, "twice.txt", "second");
      putFile(out, "../escaped.txt", "outside");
    }
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromTar(
                "crafted", "evil", new java.io.ByteArrayInputStream(tar.toByteArray()), null)
            .ref();
    String base = "/api/backups/crafted/evil/" + ref.name();
    ApiClient.Answer folder = api.get(base + "/folder");
    assertThat(folder.status()).isEqualTo(409);
    assertThat(folder.body().get("error").asText()).contains("'../escaped.txt' contains '..'");
    assertThat(folder.body().get("state").asText()).isEqualTo("refused");
    ApiClient.Answer file = api.get(base + "/file?path=twice.txt");
    assertThat(file.status()).isEqualTo(200);
    assertThat(file.raw()).isEqualTo("second");
  }

  @Test
  void aFolderDownloadIsCheckedAgainstTheArchiveBeforeItStarts() throws Exception {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      putFile(out, "dir/twice.txt", "first");
      putFile(out, "dir/twice.txt", "second!");
      var link =
          new org.apache.commons.compress.archivers.tar.TarArchiveEntry(
              "dir/link", org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK, true);
      link.setLinkName("twice.txt");
      out.putArchiveEntry(link);
      out.closeArchiveEntry();
    }
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromTar(
                "crafted", "folder", new java.io.ByteArrayInputStream(tar.toByteArray()), null)
            .ref();
    String url =
        "http://127.0.0.1:"
            + APP.getLocalPort()
            + "/api/backups/crafted/folder/"
            + ref.name()
            + "/folder?path=dir";
    java.net.http.HttpResponse<byte[]> ok =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    Map<String, String> got = new TreeMap<>();
    try (var in =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(ok.body())))) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String before =
            got.put(
                e.getName(),
                e.isSymbolicLink()
                    ? "-> " + e.getLinkName()
                    : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        assertThat(before).as("each name once: " + e.getName()).isNull();
      }
    }
    assertThat(got)
        .containsEntry("dir/twice.txt", "second!")
        .containsEntry("dir/link", "-> twice.txt");

    // the manifest alone says the link points elsewhere: the download would have served that
    Path manifest = ref.manifestPath();
    Files.writeString(
        manifest,
        Files.readString(manifest)
            .replaceFirst(
                "\"linkTarget\"\\s*:\\s*\"twice.txt\"", "\"linkTarget\":\"/etc/shadow\""));
    ApiClient.Answer edited =
        api.get("/api/backups/crafted/folder/" + ref.name() + "/folder?path=dir");
    assertThat(edited.status()).isEqualTo(409);
    assertThat(edited.body().get("state").asText()).isEqualTo("damaged");
    assertThat(edited.body().get("error").asText()).contains("'dir/link' links to 'twice.txt'");
    ApiClient.Answer again =
        api.get("/api/backups/crafted/folder/" + ref.name() + "/folder?path=dir");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.body().get("error").asText()).contains("is damaged");
  }

  @Test
  void fullTrueReadsEveryFileAndWithoutItUnchangedFilesAreReused() throws Exception {
    Path src = Files.createDirectories(work.resolve("full-src"));
    Files.writeString(src.resolve("a.ipynb"), "{\"cells\": []}");
    Files.write(src.resolve("weights.bin"), new byte[300_000]);
    String params = "\"path\": \"" + src + "\", \"source\": \"fullsrc\"";
    // the first backup reads everything, full: true reads everything again, the next copies both
    String[] extras = {"", ", \"full\": true", ""};
    long[] expectedReused = {0, 0, 2};
    for (int i = 0; i < extras.length; i++) {
      String id = start("local-backup", "{\"params\": {" + params + extras[i] + "}}");
      awaitEnd(id);
      JsonNode run = api.get("/api/runs/" + ApiClient.enc(id)).body();
      assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("COMPLETED");
      assertThat(step(run, "archive").get("output").get("reusedFiles").asLong())
          .as("backup " + (i + 1) + extras[i])
          .isEqualTo(expectedReused[i]);
    }
  }

  private static void putFile(
      org.apache.commons.compress.archivers.tar.TarArchiveOutputStream out,
      String name,
      String content)
      throws IOException {
    var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, true);
    byte[] data = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    e.setSize(data.length);
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
  }

  @Test
  void pinAndUnpinThroughTheApiAndTheLastDrillIsListed() throws Exception {
    Path src = Files.createDirectories(work.resolve("pin-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromDirectory("pins", "nb", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    JsonNode before = api.get("/api/backups?set=pins&source=nb").body().get(0);
    assertThat(before.get("pinned").asBoolean()).isFalse();
    assertThat(before.get("lastDrill").isNull()).isTrue();

    ApiClient.Answer pinned = api.post("/api/backups/pins/nb/" + ref.name() + "/pin", "");
    assertThat(pinned.status()).isEqualTo(200);
    assertThat(pinned.body().get("pinned").asBoolean()).isTrue();
    assertThat(ref.pinPath()).exists();
    assertThat(api.get("/api/backups?set=pins&source=nb").body().get(0).get("pinned").asBoolean())
        .isTrue();
    // a pinned archive survives a prune that keeps nothing else
    var other =
        repo.writeFromDirectory("pins", "nb", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    assertThat(
            repo.prune("pins", "nb", dev.lifeboat.activities.archive.RetentionPolicy.keepLast(1))
                .kept())
        .containsExactly(ref.name(), other.name());

    assertThat(
            api.post("/api/backups/pins/nb/" + ref.name() + "/unpin", "")
                .body()
                .get("pinned")
                .asBoolean())
        .isFalse();
    assertThat(ref.pinPath()).doesNotExist();
    assertThat(api.post("/api/backups/pins/nb/20200101T000000Z.tar.gz/pin", "").status())
        .isEqualTo(404);
    assertThat(api.post("/api/backups/pins/..%2Fetc/latest/pin", "").status()).isIn(400, 404);

    repo.recordDrill(
        other,
        new dev.lifeboat.activities.archive.DrillRecord(
            java.time.Instant.parse("2026-12-01T05:00:00Z"),
            other.name(),
            "pins",
            "nb",
            1,
            1,
            0.25,
            "passed",
            null,
            "r"));
    JsonNode drill = api.get("/api/backups?set=pins&source=nb").body().get(0).get("lastDrill");
    assertThat(drill.get("at").asLong())
        .isEqualTo(java.time.Instant.parse("2026-12-01T05:00:00Z").toEpochMilli());
    assertThat(drill.get("result").asText()).isEqualTo("passed");
    assertThat(drill.get("seconds").asDouble()).isEqualTo(0.25);
    assertThat(drill.get("files").asLong()).isEqualTo(1);
    assertThat(drill.get("bytes").asLong()).isEqualTo(1);
  }

  @Test
  void actionsAreListedWithTheirArguments() {
    JsonNode actions = api.get("/api/actions").body().get("actions");
    JsonNode backup = null;
    for (JsonNode a : actions) {
      if (a.get("name").asText().equals("backup")) {
        backup = a;
      }
    }
    assertThat(backup).isNotNull();
    assertThat(backup.get("args").get("path").get("required").asBoolean()).isFalse();
    assertThat(backup.get("args").get("from").get("description").asText()).contains("pod");
    assertThat(actions.findValuesAsText("name"))
        .contains("approval", "runbook", "scale", "ansible", "sync-offsite");
  }

  @Test
  void badBackupQueryIsA400() {
    ApiClient.Answer a = api.get("/api/backups?set=..%2Fetc");
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.body().get("error").asText()).contains("'set'");
  }

  @Test
  void aHostileCompressionIsRefusedBeforeTheRunStarts() throws Exception {
    Path src = Files.createDirectories(work.resolve("hostile-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    for (String hostile :
        List.of(
            "--use-compress-program=sh -c id",
            "${params.path}",
            "{{ lookup('pipe', 'id') }}",
            "zstd; rm -rf /",
            "x".repeat(5000))) {
      ApiClient.Answer a =
          api.post(
              "/api/runbooks/local-backup/runs",
              MAPPER.writeValueAsString(
                  Map.of(
                      "params",
                      Map.of(
                          "path", src.toString(), "source", "hostile", "compression", hostile))));
      assertThat(a.status()).as(hostile).isEqualTo(400);
      assertThat(a.body().get("error").asText()).as(hostile).contains("compression");
    }
    assertThat(Files.exists(REPOSITORY.resolve("local/hostile")))
        .as("nothing written for a refused run")
        .isFalse();
  }

  private String start(String runbook, String body) {
    ApiClient.Answer a = api.post("/api/runbooks/" + runbook + "/runs", body);
    assertThat(a.status()).as(a.raw()).isEqualTo(202);
    return a.body().get("id").asText();
  }

  private JsonNode awaitEnd(String id) {
    await()
        .atMost(Duration.ofMinutes(2))
        .until(
            () -> {
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
          out.put(
              rel,
              HexFormat.of()
                      .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)))
                  + " "
                  + Files.getPosixFilePermissions(p));
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
