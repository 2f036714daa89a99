package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository on a full disk (an 8 MB tmpfs): the backup fails once, naming the path and the bytes
 * it needs, leaves nothing half-written, and the earlier archive stays good and restores.
 */
class DiskFullTest {
  @TempDir Path tmp;
  private Path repository;
  private boolean mounted;
  private LifeboatProcess lifeboat;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    repository = Files.createDirectories(tmp.resolve("repository"));
    Trees.Result r =
        Trees.run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", repository.toString());
    Assumptions.assumeTrue(
        r.exit() == 0,
        "skipped: cannot mount an 8 MB tmpfs as a full disk (needs root): " + r.output().strip());
    mounted = true;
  }

  @AfterEach
  void killAndUnmount() {
    if (lifeboat != null) {
      lifeboat.kill9();
    }
    if (mounted) {
      Trees.Result r = Trees.run("umount", repository.toString());
      assertThat(r.exit()).as("umount %s: %s", repository, r.output()).isZero();
    }
  }

  @Test
  void fullDiskFailsOnceNamingThePathAndKeepsTheGoodArchive() throws Exception {
    lifeboat = LifeboatProcess.start(tmp, repository, LifeboatProcess.shippedRunbooks());
    Path small = Trees.smallTree(tmp.resolve("src/home"), 3);
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-backup", Map.of("path", small.toString())),
        Duration.ofSeconds(60));
    String good = lifeboat.backups("local", "home").get(0).path("name").asText();

    Path big = Trees.randomFile(tmp.resolve("src/home/dataset.bin"), 20L << 20, 5).getParent();
    JsonNode failed =
        lifeboat.awaitEnd(
            lifeboat.startRun("local-backup", Map.of("path", big.toString())),
            Duration.ofSeconds(120));
    assertThat(failed.path("status").asText()).as("%s", failed).isEqualTo("FAILED");
    JsonNode archive = LifeboatProcess.step(failed, "archive");
    String error = archive.path("lastError").asText() + " " + failed.path("error").asText();
    assertThat(error).as("the error names where the space ran out").contains(repository.toString());
    assertThat(error).as("and how much was needed").contains("needs").contains("free");
    assertThat(archive.path("attempts")).as("a full disk is not retried: %s", archive).hasSize(1);

    assertThat(Trees.partials(repository)).as("in %s", Trees.listAll(repository)).isEmpty();
    List<JsonNode> backups = lifeboat.backups("local", "home");
    assertThat(Trees.names(backups)).containsExactly(good);
    assertThat(backups.get(0).path("state").asText()).isEqualTo("verified");

    Files.delete(big.resolve("dataset.bin"));
    Path restored = tmp.resolve("restored/home");
    lifeboat.awaitCompleted(
        lifeboat.startRun("local-restore", Map.of("path", restored.toString())),
        Duration.ofSeconds(60));
    Trees.assertSameTree(small, restored);
  }
}
