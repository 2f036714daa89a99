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
 * A home directory with 40,000 sockets (FIFOs here): each is skipped with a note, and the step's
 * result must stay within what the real Temporal server accepts (2 MB). Before, the result was ~3
 * MB: the archive was published and the run still failed with "Activity task failed".
 */
class ManySkippedTest {
  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void aBackupSkippingFortyThousandEntriesCompletesAndCountsThem() throws Exception {
    Map<String, String> env = TemporalDevServer.sharedLifeboatEnv();
    Path home = Files.createDirectories(tmp.resolve("src/home"));
    Files.writeString(home.resolve("notes.md"), "kept\n");
    Trees.Result fifos =
        Trees.run(
            "sh",
            "-c",
            "cd '"
                + home
                + "' && seq -f 'socket-with-a-fairly-long-name-%05g' 0 39999 | xargs mkfifo");
    assertThat(fifos.exit()).as(fifos.output()).isZero();
    lifeboat =
        LifeboatProcess.start(
            tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks(), env);
    String id = lifeboat.startRun("local-backup", Map.of("path", home.toString()));
    JsonNode run = lifeboat.awaitCompleted(id, Duration.ofMinutes(3));
    JsonNode output = LifeboatProcess.step(run, "archive").path("output");
    assertThat(output.path("files").asLong()).isEqualTo(1);
    assertThat(output.path("skippedCount").asLong()).isEqualTo(40_000);
    assertThat(output.path("skipped")).hasSize(501);
    assertThat(output.path("skipped").get(500).path("reason").asText())
        .contains("39500 more not listed here (40000 in all)");
  }
}
