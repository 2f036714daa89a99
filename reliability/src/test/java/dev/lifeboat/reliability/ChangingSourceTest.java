package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file that grows while the backup reads it: the backup says so ({@code changed} with a reason),
 * and what the archive holds is exactly what its manifest claims, checked with GNU tar.
 */
class ChangingSourceTest {
  @TempDir Path tmp;
  private LifeboatProcess lifeboat;
  private final AtomicBoolean stop = new AtomicBoolean();

  @AfterEach
  void kill() {
    stop.set(true);
    if (lifeboat != null) {
      lifeboat.kill9();
    }
  }

  @Test
  void growingFileIsReportedAndTheArchiveAgreesWithItsManifest() throws Exception {
    lifeboat =
        LifeboatProcess.start(tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks());
    Path source = tmp.resolve("src/logs");
    // text deflate must work on: read slowly enough for the appends to land while it is read
    Path growing = Trees.randomText(source.resolve("grow.bin"), 96L << 20, 31);
    // append from before the run starts until it ends, so the file grows while the archive step
    // reads it
    // whenever that is (at most 256 MB, about 3 MB/s)
    CompletableFuture<Long> appender =
        CompletableFuture.supplyAsync(
            () -> {
              byte[] chunk = new byte[64 * 1024];
              long appended = 0;
              try {
                while (!stop.get() && appended < (256L << 20)) {
                  Trees.append(growing, chunk);
                  appended += chunk.length;
                  LifeboatProcess.pause(20);
                }
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              return appended;
            });
    String id = lifeboat.startRun("local-backup", Map.of("path", source.toString()));
    JsonNode run = lifeboat.awaitCompleted(id, Duration.ofSeconds(120));
    stop.set(true);
    assertThat(appender.join()).isPositive();

    JsonNode output = LifeboatProcess.step(run, "archive").path("output");
    assertThat(output.path("changed"))
        .as("backup output: %s", output)
        .anySatisfy(
            c -> {
              assertThat(c.path("path").asText()).endsWith("grow.bin");
              assertThat(c.path("reason").asText()).isNotBlank();
            });

    // the archive's bytes and its manifest agree: extract with GNU tar and compare
    Path archive = Path.of(output.path("path").asText());
    Path extracted = Files.createDirectories(tmp.resolve("extracted"));
    Trees.Result tar = Trees.run("tar", "xzf", archive.toString(), "-C", extracted.toString());
    assertThat(tar.exit()).as("tar: %s", tar.output()).isZero();
    JsonNode files =
        lifeboat
            .get("/api/backups/local/logs/" + output.path("archive").asText() + "/files")
            .body();
    JsonNode entry = null;
    for (JsonNode f : files.path("files")) {
      if (f.path("path").asText().endsWith("grow.bin")) {
        entry = f;
      }
    }
    assertThat(entry).as("grow.bin in the manifest: %s", files).isNotNull();
    Path out =
        Trees.listAll(extracted).stream()
            .filter(p -> p.endsWith("grow.bin"))
            .map(extracted::resolve)
            .findFirst()
            .orElseThrow(() -> new AssertionError("grow.bin not in the archive"));
    assertThat(Files.size(out))
        .as("archived size = manifest size")
        .isEqualTo(entry.path("size").asLong());
    assertThat(sha256(out))
        .as("archived bytes = manifest digest")
        .isEqualTo(entry.path("sha256").asText());
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
