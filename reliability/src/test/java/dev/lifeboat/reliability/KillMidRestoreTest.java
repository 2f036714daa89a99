package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the server while a restore writes: the target is marked as an interrupted restore
 * ({@code .lifeboat-restore-incomplete}), and a rerun of the same restore, without {@code clean},
 * finishes it into exactly the archived tree.
 */
class KillMidRestoreTest {
  static final String MARKER = ".lifeboat-restore-incomplete-";

  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void interruptedRestoreIsMarkedAndARerunCompletesIt() throws Exception {
    lifeboat =
        LifeboatProcess.start(tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks());
    Path source = Trees.bigTree(tmp.resolve("src/models"), 4, 48L << 20, 11);
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-backup", Map.of("path", source.toString())),
        Duration.ofSeconds(120));

    Path target = tmp.resolve("restored/models");
    Map<String, Object> params = Map.of("path", target.toString(), "source", "models");
    String restore = lifeboat.startRun("local-restore", params);
    // restore checks every digest before it writes: wait until extraction has really begun
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (Trees.listAll(target).stream().noneMatch(f -> f.startsWith("part-"))) {
      JsonNode run = lifeboat.run(restore);
      assertThat(run.path("status").asText())
          .as("restore ended before it could be killed: %s", run)
          .isEqualTo("RUNNING");
      assertThat(System.nanoTime()).as("restore wrote nothing within 120 s").isLessThan(deadline);
      LifeboatProcess.pause(20);
    }
    lifeboat.kill9();

    assertThat(Trees.listAll(target))
        .as("an interrupted restore is recognisable as such")
        .anyMatch(f -> f.startsWith(MARKER));

    lifeboat = lifeboat.restart();
    JsonNode rerun =
        lifeboat.awaitEnd(lifeboat.startRun("local-restore", params), Duration.ofSeconds(120));
    assertThat(rerun.path("status").asText())
        .as("rerun without clean: %s", rerun)
        .isEqualTo("COMPLETED");
    assertThat(Trees.listAll(target)).noneMatch(f -> f.startsWith(MARKER));
    Trees.assertSameTree(source, target);
  }
}
