package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    assertThat(done.get("warnings")).as("everything was read").isEmpty();
    assertThat(listed(id).get("warnings")).as("everything was read").isEmpty();

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

  /**
   * A backup that could not read an entry was a COMPLETED run like any other, the gap said only in
   * its step's last message. The run still completes (the archive is good for what it holds, as
   * restic keeps its snapshot) and carries the step's warning; a fifo, left out by design, does not
   * make one.
   */
  @Test
  void aBackupThatCouldNotReadAnEntryCompletesWithAWarningNamingIt() throws Exception {
    Path notes = Files.createDirectories(work.resolve("gaps"));
    Files.writeString(notes.resolve("a.ipynb"), "{}");
    assertThat(dev.lifeboat.activities.archive.Fixtures.run(notes, "mkfifo", "pipe").exit())
        .isZero();
    dev.lifeboat.activities.archive.Fixtures.tooDeepToRead(notes);
    try {
      JsonNode done =
          awaitEnd(start("local-backup", "{\"params\": {\"path\": \"" + notes + "\"}}"));
      assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("COMPLETED");
      JsonNode archive = step(done, "archive");
      assertThat(archive.get("state").asText()).isEqualTo("SUCCEEDED");
      assertThat(archive.get("output").get("skippedCount").asInt()).isEqualTo(2);
      assertThat(archive.get("output").get("unreadable").asInt()).isEqualTo(1);
      assertThat(step(done, "verify").get("state").asText()).isEqualTo("SUCCEEDED");
      assertThat(step(done, "prune").get("state").asText()).isEqualTo("SUCCEEDED");
      JsonNode warnings = done.get("warnings");
      assertThat(warnings).as(done.toString()).hasSize(1);
      assertThat(warnings.get(0).get("step").asText()).isEqualTo("archive");
      assertThat(warnings.get(0).get("text").asText())
          .startsWith(
              "1 entry could not be read and is NOT in "
                  + archive.get("output").get("archive").asText()
                  + ", e.g. deep/")
          .endsWith(": unreadable: File name too long");
      assertThat(archive.get("warning").asText()).isEqualTo(warnings.get(0).get("text").asText());
      // the list of runs says so too (the page's runs table, a schedule's last run)
      assertThat(listed(done.get("id").asText()).get("warnings")).isEqualTo(warnings);
    } finally {
      dev.lifeboat.activities.archive.Fixtures.removeTooDeep(notes);
    }
  }

  /**
   * A file is served from a checked copy on disk, not from memory: the server's threads allocate
   * far less than the file's size for its download (reading it whole allocated all of it, and a 500
   * MiB file killed a 512 MiB server). The copy has no name while it exists and is gone when the
   * download ends, also when the client goes away halfway.
   */
  @Test
  void aLargeFileDownloadsWithMemoryThatDoesNotGrowWithItsSize() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/fd")), "open files are listed in /proc/self/fd");
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    org.junit.jupiter.api.Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
    threads.setThreadAllocatedMemoryEnabled(true);
    Path src = Files.createDirectories(work.resolve("large-src"));
    Path big = src.resolve("weights.bin");
    long size = 64L << 20;
    Random random = new Random(7);
    byte[] chunk = new byte[1 << 20];
    try (FileChannel ch =
        FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      // random data at the start and in the middle, zeros elsewhere, up to the last byte
      for (long at = 0; at < (8 << 20); at += chunk.length) {
        random.nextBytes(chunk);
        ch.write(ByteBuffer.wrap(chunk), at);
      }
      random.nextBytes(chunk);
      ch.write(ByteBuffer.wrap(chunk), 40L << 20);
      ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
    String expected = sha256(Files.newInputStream(big));
    // a small file first: what the first download costs once (classes, native libraries) is not
    // what this test measures
    byte[] small = new byte[256 << 10];
    random.nextBytes(small);
    Files.write(src.resolve("small.bin"), small);
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromDirectory(
                "large", "weights", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    java.net.URI uri =
        java.net.URI.create(
            "http://127.0.0.1:"
                + APP.getLocalPort()
                + "/api/backups/large/weights/"
                + ref.name()
                + "/file?path=weights.bin");
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<byte[]> warm =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(uri.toString().replace("weights.bin", "small.bin")))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(warm.body()).isEqualTo(small);

    long allocatedBefore = serverAllocated(threads);
    java.net.http.HttpResponse<java.io.InputStream> r =
        http.send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(size);
    assertThat(spoolFiles()).as("the copy has no name").allMatch(f -> f.endsWith("(deleted)"));
    CountingDigest got = new CountingDigest();
    try (java.io.InputStream body = r.body()) {
      body.transferTo(got);
    }
    long allocated = serverAllocated(threads) - allocatedBefore;
    assertThat(got.count).isEqualTo(size);
    assertThat(got.hex()).isEqualTo(expected);
    assertThat(allocated)
        .as("bytes the server's threads allocated for a %d-byte download", size)
        .isLessThan(size / 16);
    await().atMost(Duration.ofSeconds(10)).until(() -> spoolFiles().isEmpty());

    // a client that goes away halfway: the copy is freed all the same
    java.net.http.HttpResponse<java.io.InputStream> cut =
        http.send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    try (java.io.InputStream body = cut.body()) {
      assertThat(body.readNBytes(1 << 20)).hasSize(1 << 20);
      assertThat(spoolFiles()).isNotEmpty().allMatch(f -> f.endsWith("(deleted)"));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> spoolFiles().isEmpty());
  }

  /** A file whose data does not match its digest is a 409 before any byte goes out. */
  @Test
  void aFileWhoseDigestDoesNotMatchIsAConflictNotADownload() throws Exception {
    Path src = Files.createDirectories(work.resolve("digest-src"));
    byte[] data = new byte[3 << 20];
    new Random(11).nextBytes(data);
    Files.write(src.resolve("model.bin"), data);
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromDirectory("digest", "nb", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    Path manifest = ref.manifestPath();
    Files.writeString(manifest, Files.readString(manifest).replace(sha, "0".repeat(64)));
    ApiClient.Answer a = api.get("/api/backups/digest/nb/" + ref.name() + "/file?path=model.bin");
    assertThat(a.status()).as(a.raw()).isEqualTo(409);
    assertThat(a.body().get("error").asText()).contains("model.bin");
    assertThat(a.body().get("archive").asText()).isEqualTo(ref.name());
    if (Files.isDirectory(Path.of("/proc/self/fd"))) {
      assertThat(spoolFiles()).isEmpty();
    }
  }

  /** The bytes allocated so far by the server's request threads (named dw-...). */
  private static long serverAllocated(com.sun.management.ThreadMXBean threads) {
    long total = 0;
    for (java.lang.management.ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith("dw-")) {
        total += Math.max(0, threads.getThreadAllocatedBytes(t.getThreadId()));
      }
    }
    return total;
  }

  /** The files of the download copies this JVM holds open, as /proc shows them. */
  private static List<String> spoolFiles() throws IOException {
    List<String> found = new java.util.ArrayList<>();
    try (var fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.contains("lifeboat-file")) {
            found.add(target);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return found;
  }

  private static String sha256(java.io.InputStream in) throws Exception {
    CountingDigest d = new CountingDigest();
    try (in) {
      in.transferTo(d);
    }
    return d.hex();
  }

  /** An output that keeps only the SHA-256 and the count of what is written to it. */
  private static final class CountingDigest extends java.io.OutputStream {
    final MessageDigest md = sha256Digest();
    long count;

    @Override
    public void write(int b) {
      md.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      md.update(b, off, len);
      count += len;
    }

    String hex() {
      return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256Digest() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
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
    // the manifest has the times to the nanosecond; the download, like the archive, whole seconds
    // without a PAX record for them in every entry
    Map<String, org.apache.commons.compress.archivers.tar.TarArchiveEntry> inFolder =
        new TreeMap<>();
    listTar(folder.body(), inFolder);
    assertThat(inFolder.values())
        .isNotEmpty()
        .allSatisfy(
            te -> {
              assertThat(te.getExtraPaxHeaders()).as(te.getName()).doesNotContainKey("mtime");
              assertThat(te.getLastModifiedTime().toInstant().getNano()).isZero();
            });

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

  /**
   * A clean local-restore into a folder holding Lifeboat archives (another machine's drive, not an
   * archive root here) emptied it, archives and all. Now the run fails, naming the folder, an
   * archive in it and what to do, and the folder keeps everything.
   */
  @Test
  void aCleanRestoreIntoAFolderHoldingArchivesFailsTheRunAndRemovesNothing() throws Exception {
    Path src = Files.createDirectories(work.resolve("refusal-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    new dev.lifeboat.activities.archive.Repository(REPOSITORY)
        .writeFromDirectory("local", "refusals", src, List.of(), List.of(), null);
    Path drive = work.resolve("old-drive");
    new dev.lifeboat.activities.archive.Repository(drive)
        .writeFromDirectory("lifeboat", "home", src, List.of(), List.of(), null);
    Map<String, String> before = tree(drive);
    JsonNode refused =
        awaitEnd(
            start(
                "local-restore",
                "{\"params\": {\"path\": \""
                    + drive
                    + "\", \"source\": \"refusals\", \"clean\": true}}"));
    assertThat(refused.get("status").asText()).as(refused.toString()).isEqualTo("FAILED");
    assertThat(refused.get("error").asText())
        .contains("step 'restore' failed")
        .contains(
            "restore target "
                + drive
                + " holds Lifeboat archives ("
                + drive.resolve("lifeboat/home"))
        .contains("restore into a folder outside the repository and the archive roots")
        .contains("nothing was removed");
    assertThat(tree(drive)).isEqualTo(before);
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
  void aVerifiedArchiveWhoseFileWentMissingIsListedAndACorruptStateIsSaid() throws Exception {
    Path src = Files.createDirectories(work.resolve("lost-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    var older =
        new dev.lifeboat.activities.archive.Repository(
                REPOSITORY,
                java.time.Clock.fixed(
                    java.time.Instant.parse("2026-11-01T02:00:00Z"), java.time.ZoneOffset.UTC))
            .writeFromDirectory("lost", "db", src, java.util.List.of(), java.util.List.of(), null);
    var newer =
        new dev.lifeboat.activities.archive.Repository(
                REPOSITORY,
                java.time.Clock.fixed(
                    java.time.Instant.parse("2026-11-02T02:00:00Z"), java.time.ZoneOffset.UTC))
            .writeFromDirectory("lost", "db", src, java.util.List.of(), java.util.List.of(), null);
    new dev.lifeboat.activities.archive.Repository(REPOSITORY).verify(newer.ref(), null);
    Files.delete(newer.ref().path());
    Files.writeString(older.ref().statePath(), "{\"state\": ");

    JsonNode backups = api.get("/api/backups?set=lost&source=db").body();
    assertThat(backups).hasSize(2);
    JsonNode missing = backups.get(0);
    assertThat(missing.get("name").asText()).isEqualTo(newer.ref().name());
    assertThat(missing.get("state").asText()).isEqualTo("damaged");
    assertThat(missing.get("missing").asBoolean()).isTrue();
    assertThat(missing.get("sizeBytes").asLong()).isZero();
    assertThat(missing.get("files").asLong()).isEqualTo(1);
    assertThat(missing.get("error").asText())
        .startsWith("archive file " + newer.ref().path() + " is missing (it was verified at ");
    JsonNode unreadable = backups.get(1);
    assertThat(unreadable.get("state").asText()).isEqualTo("unverified");
    assertThat(unreadable.get("missing").asBoolean()).isFalse();
    assertThat(unreadable.get("error").asText())
        .startsWith("state record " + older.ref().statePath() + " cannot be read");

    var latest = api.get("/api/backups/lost/db/latest/files");
    assertThat(latest.body().get("archive").asText()).isEqualTo(older.ref().name());

    CliTest.Outcome listed =
        CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "list", "backups");
    assertThat(listed.exit()).isZero();
    assertThat(listed.out())
        .contains(
            "lost/db/"
                + newer.ref().name()
                + "  0 bytes  1 files  MISSING  (archive file "
                + newer.ref().path()
                + " is missing")
        .contains(
            "lost/db/"
                + older.ref().name()
                + "  "
                + Files.size(older.ref().path())
                + " bytes  1 files  unverified  (state record "
                + older.ref().statePath()
                + " cannot be read");
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

  /**
   * A folder download keeps what the archive keeps: hard links (as links where their file is in the
   * download, as copies where it is not) and each entry's owner ids and names.
   */
  @Test
  void aFolderDownloadKeepsHardLinksAndOwners() throws Exception {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      out.setBigNumberMode(
          org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.BIGNUMBER_POSIX);
      putOwned(out, dirEntry("outside"), null, 0, 0, "", "");
      putOwned(out, fileEntry("outside/shared.bin"), "shared outside", 1500, 1501, "carol", "lab");
      putOwned(out, dirEntry("data"), null, 1000, 1001, "alice", "staff");
      putOwned(out, fileEntry("data/a.txt"), "the data", 1000, 1001, "alice", "staff");
      putOwned(out, dirEntry("data/sub"), null, 3_000_000, 4_000_000, "bob", "research");
      putOwned(out, linkEntry("data/sub/b.txt", "data/a.txt"), null, 1002, 1003, "dave", "ops");
      putOwned(out, linkEntry("data/c.bin", "outside/shared.bin"), null, 1000, 1001, "", "");
    }
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromTar(
                "owners", "links", new java.io.ByteArrayInputStream(tar.toByteArray()), null)
            .ref();
    String base = "/api/backups/owners/links/" + ref.name() + "/folder?path=";

    Map<String, org.apache.commons.compress.archivers.tar.TarArchiveEntry> data = new TreeMap<>();
    Map<String, String> content = listTar(download(base + "data"), data);
    assertThat(data.keySet())
        .containsExactly("data/", "data/a.txt", "data/c.bin", "data/sub/", "data/sub/b.txt");
    var link = data.get("data/sub/b.txt");
    assertThat(link.isLink()).as("a hard link to a file in the folder stays a link").isTrue();
    assertThat(link.getLinkName()).isEqualTo("data/a.txt");
    assertThat(link.getSize()).isZero();
    var copy = data.get("data/c.bin");
    assertThat(copy.isFile() && !copy.isLink()).as("its file is outside: a copy").isTrue();
    assertThat(content.get("data/c.bin")).isEqualTo("shared outside");
    assertThat(owner(data.get("data/"))).isEqualTo("1000:1001 alice:staff");
    assertThat(owner(data.get("data/a.txt"))).isEqualTo("1000:1001 alice:staff");
    assertThat(owner(data.get("data/sub/"))).isEqualTo("3000000:4000000 bob:research");
    assertThat(owner(link)).isEqualTo("1002:1003 dave:ops");
    assertThat(owner(copy)).isEqualTo("1000:1001 :");

    // below the folder the link's file is outside the download: the link comes as a copy
    Map<String, org.apache.commons.compress.archivers.tar.TarArchiveEntry> sub = new TreeMap<>();
    Map<String, String> subContent = listTar(download(base + "data/sub"), sub);
    assertThat(sub.keySet()).containsExactly("sub/", "sub/b.txt");
    assertThat(sub.get("sub/b.txt").isLink()).isFalse();
    assertThat(subContent.get("sub/b.txt")).isEqualTo("the data");
    assertThat(owner(sub.get("sub/b.txt"))).isEqualTo("1002:1003 dave:ops");

    // the whole archive: both links are links, and GNU tar makes them one file each
    byte[] whole = download(base);
    Map<String, org.apache.commons.compress.archivers.tar.TarArchiveEntry> all = new TreeMap<>();
    listTar(whole, all);
    assertThat(all.get("data/c.bin").isLink()).isTrue();
    assertThat(all.get("data/c.bin").getLinkName()).isEqualTo("outside/shared.bin");
    assertThat(owner(all.get("outside/shared.bin"))).isEqualTo("1500:1501 carol:lab");
    Path tgz = work.resolve("whole.tar.gz");
    Files.write(tgz, whole);
    Path out = Files.createDirectories(work.resolve("whole-out"));
    Process gnuTar =
        new ProcessBuilder("tar", "xzf", tgz.toString(), "-C", out.toString())
            .redirectErrorStream(true)
            .start();
    String said = new String(gnuTar.getInputStream().readAllBytes());
    assertThat(gnuTar.waitFor()).as(said).isZero();
    assertThat(Files.isSameFile(out.resolve("data/sub/b.txt"), out.resolve("data/a.txt"))).isTrue();
    assertThat(Files.isSameFile(out.resolve("data/c.bin"), out.resolve("outside/shared.bin")))
        .isTrue();
    assertThat(Files.readString(out.resolve("data/sub/b.txt"))).isEqualTo("the data");
  }

  private byte[] download(String pathAndQuery) throws Exception {
    java.net.http.HttpResponse<byte[]> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:" + APP.getLocalPort() + pathAndQuery))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    return r.body();
  }

  /** The entries of a downloaded tar.gz by name into {@code entries}; returns files' contents. */
  private static Map<String, String> listTar(
      byte[] tgz, Map<String, org.apache.commons.compress.archivers.tar.TarArchiveEntry> entries)
      throws IOException {
    Map<String, String> content = new TreeMap<>();
    try (var in =
        new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
            new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(tgz)))) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        assertThat(entries.put(e.getName(), e)).as("each name once: " + e.getName()).isNull();
        if (e.isFile() && !e.isLink()) {
          content.put(
              e.getName(), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    return content;
  }

  private static String owner(org.apache.commons.compress.archivers.tar.TarArchiveEntry e) {
    return e.getLongUserId()
        + ":"
        + e.getLongGroupId()
        + " "
        + e.getUserName()
        + ":"
        + e.getGroupName();
  }

  private static org.apache.commons.compress.archivers.tar.TarArchiveEntry dirEntry(String name) {
    return new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name + "/", true);
  }

  private static org.apache.commons.compress.archivers.tar.TarArchiveEntry fileEntry(String name) {
    return new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name, true);
  }

  private static org.apache.commons.compress.archivers.tar.TarArchiveEntry linkEntry(
      String name, String target) {
    var e =
        new org.apache.commons.compress.archivers.tar.TarArchiveEntry(
            name, org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return e;
  }

  private static void putOwned(
      org.apache.commons.compress.archivers.tar.TarArchiveOutputStream out,
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e,
      String content,
      long uid,
      long gid,
      String user,
      String group)
      throws IOException {
    byte[] data =
        content == null ? new byte[0] : content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    e.setSize(data.length);
    e.setUserId(uid);
    e.setGroupId(gid);
    e.setUserName(user);
    e.setGroupName(group);
    e.setModTime(java.util.Date.from(java.time.Instant.parse("2026-11-01T10:00:00Z")));
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
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

  /**
   * The shipped API Deployment mounts the repository read-only: a pin there is a clear 409, not an
   * internal error. As root, permissions do not stop a write, so the source folder is made
   * immutable instead (chattr +i), which stops root too; where neither works the test is skipped.
   */
  @Test
  void pinningInAReadOnlyRepositoryIsAClearConflict() throws Exception {
    Path src = Files.createDirectories(work.resolve("ro-src"));
    Files.writeString(src.resolve("a.txt"), "a");
    var repo = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var ref =
        repo.writeFromDirectory("ro", "nb", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    var pinned =
        repo.writeFromDirectory("ro", "nb", src, java.util.List.of(), java.util.List.of(), null)
            .ref();
    repo.pin(pinned);
    Path dir = ref.path().getParent();
    try (ReadOnlyFolder readOnly = ReadOnlyFolder.make(dir)) {
      ApiClient.Answer pin = api.post("/api/backups/ro/nb/" + ref.name() + "/pin", "");
      assertThat(pin.status()).as(pin.raw()).isEqualTo(409);
      assertThat(pin.body().get("error").asText())
          .contains("read-only")
          .contains("ro/nb/" + ref.name())
          .contains(ref.pinPath().getFileName().toString())
          .doesNotContain("internal error")
          .doesNotContain(".partial");
      assertThat(pin.body().get("repository").asText()).isEqualTo("read-only");
      assertThat(ref.pinPath()).doesNotExist();

      ApiClient.Answer unpin = api.post("/api/backups/ro/nb/" + pinned.name() + "/unpin", "");
      assertThat(unpin.status()).as(unpin.raw()).isEqualTo(409);
      assertThat(unpin.body().get("error").asText()).contains("read-only");
      assertThat(pinned.pinPath()).exists();
      // reading still works
      assertThat(api.get("/api/backups?set=ro&source=nb").status()).isEqualTo(200);
    }
    assertThat(api.post("/api/backups/ro/nb/" + ref.name() + "/pin", "").status()).isEqualTo(200);
    assertThat(ref.pinPath()).exists();
  }

  /** A folder no one here may write to until closed. */
  private static final class ReadOnlyFolder implements AutoCloseable {
    private final Path dir;
    private final boolean immutable;

    private ReadOnlyFolder(Path dir, boolean immutable) {
      this.dir = dir;
      this.immutable = immutable;
    }

    static ReadOnlyFolder make(Path dir) throws Exception {
      boolean root = "root".equals(System.getProperty("user.name"));
      if (!root) {
        Files.setPosixFilePermissions(
            dir, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
      } else {
        Process p =
            new ProcessBuilder("chattr", "+i", dir.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        org.junit.jupiter.api.Assumptions.assumeTrue(
            p.waitFor() == 0, "root cannot make a folder read-only here (chattr +i: " + said + ")");
      }
      ReadOnlyFolder made = new ReadOnlyFolder(dir, root);
      if (Files.isWritable(dir)) {
        made.close();
        org.junit.jupiter.api.Assumptions.abort("the folder stays writable for this user");
      }
      return made;
    }

    @Override
    public void close() throws Exception {
      if (immutable) {
        assertThat(new ProcessBuilder("chattr", "-i", dir.toString()).start().waitFor()).isZero();
      } else {
        Files.setPosixFilePermissions(
            dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      }
    }
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

  /** The run {@code id} as {@code GET /api/runs} lists it. */
  private JsonNode listed(String id) {
    for (JsonNode r : api.get("/api/runs").body()) {
      if (r.get("id").asText().equals(id)) {
        return r;
      }
    }
    throw new AssertionError("run " + id + " is not listed");
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
