package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tree with 98 % of the entries the server says its heap holds (the scan's budget per entry,
 * README "Memory is bounded"), with paths as long as a Python environment's: the full backup, its
 * verify and the incremental backup that reuses every file all complete in the real jar with a
 * small heap, and so does a restore of it. A backup that holds more per entry than the budget runs
 * out of heap here instead of failing with the scan's clear message.
 */
class ManyEntriesTest {
  /** Mirrors SourceScan.HEAP_RESERVE: 73 MiB plus 8 MiB a core are kept aside. */
  private static final long RESERVE_MB = 73 + 8L * Runtime.getRuntime().availableProcessors();

  /**
   * Mirrors SourceScan.heapCost for this tree's files: 720 bytes an entry and 2 a byte of its path,
   * whose 115 characters are the longest pythonEnvironmentLike makes.
   */
  private static final long PER_ENTRY = 720 + 2 * 115;

  private static final long FOR_ENTRIES_MB = 96;

  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void aTreeNearTheEntryLimitIsBackedUpVerifiedAndReusedInASmallHeap() throws IOException {
    // -Xmn64m leaves one survivor space (6.4 MiB) out of what the JVM reports as its heap
    long entries = (FOR_ENTRIES_MB - 7) * (1L << 20) / PER_ENTRY * 98 / 100;
    Path source = tmp.resolve("home");
    long files = pythonEnvironmentLike(source, entries);
    lifeboat =
        LifeboatProcess.startWithJvmFlags(
            tmp,
            tmp.resolve("repository"),
            LifeboatProcess.shippedRunbooks(),
            List.of(
                "-Xmx" + (FOR_ENTRIES_MB + RESERVE_MB) + "m",
                "-Xmn64m",
                "-XX:MaxDirectMemorySize=64m",
                "-XX:+UseSerialGC"));

    JsonNode full = backup(source);
    assertThat(full.path("files").asLong()).as("full backup: %s", full).isEqualTo(files);
    assertThat(full.path("reusedFiles").asLong()).isZero();

    JsonNode again = backup(source);
    assertThat(again.path("files").asLong()).as("incremental backup: %s", again).isEqualTo(files);
    assertThat(again.path("reusedFiles").asLong())
        .as("every unchanged file is copied from the verified archive")
        .isEqualTo(files);

    // what a backup takes at the limit comes back in the same heap
    Path restored = tmp.resolve("restored/home");
    JsonNode restore =
        lifeboat.awaitCompleted(
            lifeboat.startRun(
                "local-restore", Map.of("path", restored.toString(), "source", "home")),
            Duration.ofMinutes(4));
    assertThat(LifeboatProcess.step(restore, "restore").path("state").asText())
        .as("restore step of %s", restore)
        .isEqualTo("SUCCEEDED");
    try (var found = Files.walk(restored)) {
      assertThat(found.filter(Files::isRegularFile).count()).isEqualTo(files);
    }
    assertThat(lifeboat.log()).doesNotContain("OutOfMemoryError");
  }

  /** One local-backup run (backup, verify, prune); the archive step's output. */
  private JsonNode backup(Path source) {
    String id = lifeboat.startRun("local-backup", Map.of("path", source.toString()));
    JsonNode run = lifeboat.awaitCompleted(id, Duration.ofMinutes(4));
    assertThat(LifeboatProcess.step(run, "verify").path("state").asText())
        .as("verify step of %s", run)
        .isEqualTo("SUCCEEDED");
    return LifeboatProcess.step(run, "archive").path("output");
  }

  /**
   * About {@code entries} entries, most of them small files, at paths of ~100 characters as in a
   * virtual environment's site-packages; returns how many files.
   */
  private static long pythonEnvironmentLike(Path root, long entries) throws IOException {
    long files = 0;
    long made = 0;
    for (int p = 0; made < entries; p++) {
      Path dir =
          root.resolve(
              String.format(
                  "envs/torch-2.1/lib/python3.11/site-packages/package_%04d/submodule_long_name",
                  p));
      Files.createDirectories(dir);
      made += p == 0 ? 7 : 2;
      for (int f = 0; f < 1000 && made < entries; f++) {
        Files.writeString(
            dir.resolve(String.format("module_file_%04d_with_a_longer_name.py", f)),
            "VALUE = " + (p * 1000 + f) + "\n");
        files++;
        made++;
      }
    }
    return files;
  }
}
