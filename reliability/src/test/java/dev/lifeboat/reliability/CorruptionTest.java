package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The newer of two archives is damaged on disk. Whatever the damage, the check that finds it marks
 * it damaged in the listing, and from then on the older good archive is what "latest", restore and
 * retention use: restore without a name restores it, prune with keepLast 1 keeps it.
 */
class CorruptionTest {
  /**
   * Test-only runbooks: check or prune one named archive, which the shipped catalogue does not
   * offer.
   */
  static final Map<String, String> RUNBOOKS =
      Map.of(
          "verify-archive",
              """
          name: verify-archive
          description: verify one archive
          params:
            - name: source
              required: true
            - name: archive
              required: true
          steps:
            - id: verify
              action: verify
              with:
                set: local
                source: ${params.source}
                archive: ${params.archive}
          """,
          "drill-archive",
              """
          name: drill-archive
          description: restore drill of one archive
          params:
            - name: source
              required: true
            - name: archive
              required: true
          steps:
            - id: drill
              action: restore-drill
              with:
                set: local
                source: ${params.source}
                archive: ${params.archive}
          """,
          "prune-source",
              """
          name: prune-source
          description: prune one source
          params:
            - name: source
              required: true
            - name: keepLast
              type: integer
              required: true
          steps:
            - id: prune
              action: prune
              with:
                set: local
                source: ${params.source}
                keepLast: ${params.keepLast}
          """);

  /** The ways an archive goes bad, and which check is run to find it. */
  enum Damage {
    FLIPPED_BYTE("verify-archive"),
    TRUNCATED("drill-archive"),
    MISSING_MANIFEST("verify-archive"),
    MANIFEST_DISAGREES("verify-archive");

    final String check;

    Damage(String check) {
      this.check = check;
    }
  }

  // one server for all variants, each variant with a source of its own: the suite stays short
  @TempDir static Path tmp;
  private static LifeboatProcess lifeboat;

  @BeforeAll
  static void start() throws Exception {
    lifeboat =
        LifeboatProcess.start(
            tmp,
            tmp.resolve("repository"),
            LifeboatProcess.runbooks(tmp.resolve("runbooks"), RUNBOOKS));
  }

  @AfterAll
  static void kill() {
    if (lifeboat != null) {
      lifeboat.kill9();
    }
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void damagedNewerArchiveNeverDisplacesTheGoodOlderOne(Damage damage) throws Exception {
    String name = "project-" + damage.ordinal();
    Path source = Trees.smallTree(tmp.resolve("src/" + name), 1);
    Path copyOfA = tmp.resolve("a/" + name);
    Files.createDirectories(copyOfA.getParent());
    assertThat(Trees.run("cp", "-a", source.toString(), copyOfA.toString()).exit()).isZero();
    String a = backup(source);
    Trees.smallTree(source, 2);
    String b = backup(source);
    assertThat(b).isGreaterThan(a);

    Path dir = tmp.resolve("repository/local/" + name);
    damage(damage, dir, b);

    JsonNode check =
        lifeboat.awaitEnd(
            lifeboat.startRun(damage.check, Map.of("source", name, "archive", b)),
            Duration.ofSeconds(60));
    assertThat(check.path("status").asText())
        .as("%s must fail: %s", damage.check, check)
        .isEqualTo("FAILED");

    List<JsonNode> listed = lifeboat.backups("local", name);
    assertThat(Trees.names(listed))
        .as("a damaged archive is listed, not hidden")
        .containsExactlyInAnyOrder(a, b);
    JsonNode shownB =
        listed.stream().filter(x -> x.path("name").asText().equals(b)).findFirst().orElseThrow();
    JsonNode shownA =
        listed.stream().filter(x -> x.path("name").asText().equals(a)).findFirst().orElseThrow();
    assertThat(shownB.path("state").asText())
        .as("B after %s: %s", damage, shownB)
        .isEqualTo("damaged");
    assertThat(shownB.path("error").asText()).as("B says what is wrong").isNotBlank();
    assertThat(shownA.path("state").asText()).as("A: %s", shownA).isEqualTo("verified");

    LifeboatProcess.Answer files = lifeboat.get("/api/backups/local/" + name + "/latest/files");
    assertThat(files.status()).as("latest/files: %s", files.raw()).isEqualTo(200);
    assertThat(files.body().path("archive").asText())
        .as("latest is the newest good archive")
        .isEqualTo(a);

    Path restored = tmp.resolve("restored/" + name);
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-restore", Map.of("path", restored.toString())),
        Duration.ofSeconds(60));
    Trees.assertSameTree(copyOfA, restored);

    lifeboat.awaitCompleted(
        lifeboat.startRun("prune-source", Map.of("source", name, "keepLast", 1)),
        Duration.ofSeconds(60));
    assertThat(Trees.names(lifeboat.backups("local", name)))
        .as("prune keeps the newest good archive")
        .contains(a);
    assertThat(dir.resolve(a)).isRegularFile();
  }

  /**
   * A verified archive rots on disk before the next backup, which would copy its members: the
   * backup finds it as it copies, marks it damaged, starts again reading the files and completes;
   * its archive verifies and restores the tree.
   */
  @org.junit.jupiter.api.Test
  void rotInTheArchiveTheNextBackupCopiesFromDoesNotFailIt() throws Exception {
    String name = "rotten-previous";
    Path source = Trees.smallTree(tmp.resolve("src/" + name), 7);
    String a = backup(source);
    Path dir = tmp.resolve("repository/local/" + name);
    JsonNode manifest =
        LifeboatProcess.JSON.readTree(dir.resolve(a.replace(".tar.gz", ".manifest.json")).toFile());
    JsonNode weights = null;
    for (JsonNode e : manifest.path("entries")) {
      if (e.path("path").asText().equals("weights.bin")) {
        weights = e;
      }
    }
    assertThat(weights).as("weights.bin in %s", manifest).isNotNull();
    long at = weights.path("memberOffset").asLong() + weights.path("memberLength").asLong() / 2;
    // rot, as a disk's: the file's modified time stays (one written to since its verify counts as
    // unverified, and no backup copies from it)
    java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(dir.resolve(a));
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(a).toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0xFF);
    }
    Files.setLastModifiedTime(dir.resolve(a), modified);

    JsonNode run =
        lifeboat.awaitCompleted(
            lifeboat.startRun("local-backup", Map.of("path", source.toString())),
            Duration.ofSeconds(60));
    JsonNode archive = LifeboatProcess.step(run, "archive");
    String b = archive.path("output").path("archive").asText();
    assertThat(b).isGreaterThan(a);
    assertThat(archive.path("output").path("reusedFiles").asLong())
        .as("nothing copied from the rotten archive: %s", archive)
        .isZero();
    assertThat(archive.path("log").toString())
        .as("the step's log says why it started again")
        .contains("starting again", "CRC-32C");

    List<JsonNode> listed = lifeboat.backups("local", name);
    JsonNode shownA =
        listed.stream().filter(x -> x.path("name").asText().equals(a)).findFirst().orElseThrow();
    JsonNode shownB =
        listed.stream().filter(x -> x.path("name").asText().equals(b)).findFirst().orElseThrow();
    assertThat(shownA.path("state").asText()).as("A: %s", shownA).isEqualTo("damaged");
    assertThat(shownA.path("error").asText()).contains("CRC-32C", "offset");
    assertThat(shownB.path("state").asText()).as("B: %s", shownB).isEqualTo("verified");

    Path restored = tmp.resolve("restored/" + name);
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-restore", Map.of("path", restored.toString())),
        Duration.ofSeconds(60));
    Trees.assertSameTree(source, restored);
  }

  private String backup(Path source) {
    JsonNode run =
        lifeboat.awaitCompleted(
            lifeboat.startRun("local-backup", Map.of("path", source.toString())),
            Duration.ofSeconds(60));
    return LifeboatProcess.step(run, "archive").path("output").path("archive").asText();
  }

  private static void damage(Damage damage, Path dir, String archive) throws IOException {
    Path file = dir.resolve(archive);
    Path manifest = dir.resolve(archive.replace(".tar.gz", ".manifest.json"));
    switch (damage) {
      case FLIPPED_BYTE -> {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
          long middle = f.length() / 2;
          f.seek(middle);
          int b = f.read();
          f.seek(middle);
          f.write(b ^ 0xFF);
        }
      }
      case TRUNCATED -> {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          ch.truncate(ch.size() / 2);
        }
      }
      case MISSING_MANIFEST -> Files.delete(manifest);
      case MANIFEST_DISAGREES -> {
        JsonNode m = LifeboatProcess.JSON.readTree(manifest.toFile());
        for (JsonNode e : m.path("entries")) {
          if ("file".equals(e.path("type").asText())) {
            String sha = e.path("sha256").asText();
            ((ObjectNode) e).put("sha256", (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1));
            break;
          }
        }
        LifeboatProcess.JSON.writeValue(manifest.toFile(), m);
      }
      default -> throw new IllegalStateException(damage.name());
    }
  }
}
