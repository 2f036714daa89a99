package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the server while a backup writes: the half-written archive never becomes visible, its
 * leftovers are cleaned before the next write to that source, and the earlier good archive of
 * another source still restores byte for byte.
 */
class KillMidBackupTest {
  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void killedBackupLeavesNoVisibleArchiveAndTheGoodOneRestores() throws Exception {
    Path repository = tmp.resolve("repository");
    lifeboat = LifeboatProcess.start(tmp, repository, LifeboatProcess.shippedRunbooks());
    Path small = Trees.smallTree(tmp.resolve("src/small"), 1);
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-backup", Map.of("path", small.toString())),
        Duration.ofSeconds(60));
    String good = lifeboat.backups("local", "small").get(0).path("name").asText();

    // text that deflate must work on (noise would be stored, fast), so the archive takes seconds
    Path big = Trees.bigTextTree(tmp.resolve("src/big"), 4, 64L << 20, 7);
    String killed = lifeboat.startRun("local-backup", Map.of("path", big.toString()));
    LifeboatProcess.awaitArchiveBeingWritten(
        repository.resolve("local/big"), Duration.ofSeconds(60));
    lifeboat.kill9();

    lifeboat = lifeboat.restart();
    assertThat(lifeboat.backups("local", "big")).as("the killed run's archive").isEmpty();
    assertThat(Trees.names(lifeboat.backups("local", "small"))).containsExactly(good);

    // the next backup of the killed source (now small, to keep the suite short) leaves no leftovers
    Trees.listAll(big).forEach(f -> big.resolve(f).toFile().delete());
    Trees.smallTree(big, 2);
    JsonNode next =
        lifeboat.awaitCompleted(
            lifeboat.startRun("local-backup", Map.of("path", big.toString())),
            Duration.ofSeconds(60));
    Path bigDir = repository.resolve("local/big");
    assertThat(Trees.partials(bigDir))
        .as("leftovers in %s: %s", bigDir, Trees.listAll(bigDir))
        .isEmpty();
    assertThat(lifeboat.backups("local", "big")).hasSize(1);
    assertThat(LifeboatProcess.step(next, "archive").path("output").path("archive").asText())
        .isEqualTo(lifeboat.backups("local", "big").get(0).path("name").asText());

    Path restored = tmp.resolve("restored/small");
    lifeboat.awaitCompleted(
        lifeboat.startRun(
            "local-restore",
            Map.of("path", restored.toString(), "source", "small", "archive", good)),
        Duration.ofSeconds(60));
    Trees.assertSameTree(small, restored);
    assertThat(Files.exists(restored.resolve("weights.bin"))).isTrue();
  }
}
