package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs started at the same moment: two backups of one source queue behind its lock and both finish
 * with one archive each, tried once; backups of five different sources run side by side.
 */
class ConcurrentRunsTest {
  /**
   * What a source folder may hold after backups: archives, their sidecars, the lock, the latest
   * pointer.
   */
  private static final Pattern EXPECTED =
      Pattern.compile(
          "\\d{8}T\\d{6}Z\\.(tar\\.gz|manifest\\.json|verified\\.json|state\\.json)|\\.lock|latest"
              // the newest manifest's binary copy, one per source
              + "|\\.manifest-cache");

  // one server for both tests; they use different sources
  @TempDir static Path tmp;
  private static LifeboatProcess lifeboat;

  @BeforeAll
  static void start() throws Exception {
    lifeboat =
        LifeboatProcess.start(tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks());
  }

  @AfterAll
  static void kill() {
    if (lifeboat != null) {
      lifeboat.kill9();
    }
  }

  @Test
  void twoBackupsOfOneSourceBothCompleteWithTwoArchives() throws Exception {
    Path source = Trees.bigTree(tmp.resolve("src/shared"), 2, 8L << 20, 21);
    List<String> ids = startTogether(List.of(source, source));
    List<JsonNode> runs = new ArrayList<>();
    for (String id : ids) {
      runs.add(lifeboat.awaitCompleted(id, Duration.ofSeconds(120)));
    }
    assertThat(lifeboat.backups("local", "shared")).hasSize(2);
    Path dir = tmp.resolve("repository/local/shared");
    assertThat(Trees.listAll(dir))
        .as("stray files in %s", dir)
        .allMatch(n -> EXPECTED.matcher(n).matches());
    for (JsonNode run : runs) {
      JsonNode archive = LifeboatProcess.step(run, "archive");
      assertThat(archive.path("attempt").asInt())
          .as("queued, not failed and retried: %s", archive)
          .isEqualTo(1);
      assertThat(archive.path("attempts"))
          .as("no failed attempt in the history: %s", archive)
          .isEmpty();
    }
  }

  @Test
  void fiveSourcesAtOnceAllComplete() throws Exception {
    List<Path> sources = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sources.add(Trees.bigTree(tmp.resolve("src/source" + i), 1, 4L << 20, 100 + i));
    }
    List<String> ids = startTogether(sources);
    for (String id : ids) {
      lifeboat.awaitCompleted(id, Duration.ofSeconds(180));
    }
    for (int i = 0; i < 5; i++) {
      assertThat(lifeboat.backups("local", "source" + i)).as("source%d", i).hasSize(1);
      Path dir = tmp.resolve("repository/local/source" + i);
      assertThat(Trees.listAll(dir))
          .as("stray files in %s", dir)
          .allMatch(n -> EXPECTED.matcher(n).matches());
    }
  }

  /** POSTs every start at the same moment, each from its own thread. */
  private List<String> startTogether(List<Path> sources) {
    CompletableFuture<Void> go = new CompletableFuture<>();
    List<CompletableFuture<String>> starts =
        sources.stream()
            .map(
                s ->
                    go.thenApplyAsync(
                        v -> lifeboat.startRun("local-backup", Map.of("path", s.toString()))))
            .toList();
    go.complete(null);
    List<String> ids = starts.stream().map(CompletableFuture::join).toList();
    assertThat(ids).doesNotHaveDuplicates();
    return ids;
  }
}
