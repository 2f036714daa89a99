package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs live in a real Temporal server, not in Lifeboat: a kill -9 of Lifeboat in the middle of two
 * runs costs neither. The wait resumes with its first deadline (heartbeat details), the backup's
 * activity is retried on the new worker and starts over cleanly, and an approval asked before the
 * kill is given after it. Needs the Temporal dev server scripts/test.sh starts.
 */
class DurableRunsTest {
  static final String WAIT_THEN_APPROVE =
      """
      name: wait-then-approve
      description: waits for the disk to settle, then asks a human
      steps:
        - id: settle
          action: wait
          with:
            duration: 25s
            reason: the disk to settle
        - id: confirm
          action: approval
          with:
            message: replace the hardware
      """;

  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void runsSurviveAKill9OfLifeboat() throws Exception {
    Map<String, String> env = TemporalDevServer.sharedLifeboatEnv();
    Path repository = tmp.resolve("repository");
    Path runbooks =
        LifeboatProcess.runbooks(
            tmp.resolve("runbooks"), Map.of("wait-then-approve", WAIT_THEN_APPROVE));
    lifeboat = LifeboatProcess.start(tmp, repository, runbooks, env);

    JsonNode info = lifeboat.get("/api/info").body().path("temporal");
    assertThat(info.path("mode").asText()).isEqualTo("remote");
    assertThat(info.path("durable").asBoolean()).isTrue();
    assertThat(info.path("address").asText()).isEqualTo(env.get("LIFEBOAT_TEMPORAL_ADDRESS"));

    String waiting = lifeboat.startRun("wait-then-approve", Map.of());
    // incompressible, so the archive takes seconds on two cores
    Path big = Trees.bigTextTree(tmp.resolve("src/big"), 4, 64L << 20, 11);
    lifeboat.awaitRun(
        waiting,
        r -> LifeboatProcess.step(r, "settle").path("message").asText().contains("waiting"),
        Duration.ofSeconds(30),
        "the wait to begin");
    String backup = lifeboat.startRun("local-backup", Map.of("path", big.toString()));
    LifeboatProcess.awaitArchiveBeingWritten(
        repository.resolve("local/big"), Duration.ofSeconds(60));
    lifeboat.kill9();

    lifeboat = lifeboat.restart();
    // the wait is retried after its heartbeat timeout and keeps the deadline its first attempt set
    JsonNode r =
        lifeboat.awaitRun(
            waiting,
            x -> "WAITING_FOR_APPROVAL".equals(x.path("status").asText()),
            Duration.ofSeconds(90),
            "the approval after the wait");
    JsonNode settle = LifeboatProcess.step(r, "settle");
    assertThat(settle.path("output").path("resumed").asBoolean()).as("settle: %s", settle).isTrue();
    Instant began = Instant.parse(settle.path("output").path("startedAt").asText());
    assertThat(Instant.parse(settle.path("output").path("deadline").asText()))
        .isEqualTo(began.plusSeconds(25));
    assertThat(began.toEpochMilli()).isLessThan(settle.path("startedAt").asLong() + 5_000);

    assertThat(
            lifeboat
                .post(
                    "/api/runs/" + LifeboatProcess.enc(waiting) + "/approve/confirm",
                    Map.of("comment", "after the restart"))
                .status())
        .isEqualTo(202);
    JsonNode done = lifeboat.awaitCompleted(waiting, Duration.ofSeconds(30));
    assertThat(LifeboatProcess.step(done, "confirm").path("approval").path("comment").asText())
        .isEqualTo("after the restart");

    // the backup's activity died with the worker and was tried again on the new one, from the start
    JsonNode b = lifeboat.awaitCompleted(backup, Duration.ofSeconds(120));
    assertThat(LifeboatProcess.step(b, "archive").path("attempt").asInt())
        .as("archive: %s", LifeboatProcess.step(b, "archive"))
        .isGreaterThanOrEqualTo(2);
    String archive = LifeboatProcess.step(b, "archive").path("output").path("archive").asText();
    assertThat(Trees.names(lifeboat.backups("local", "big"))).containsExactly(archive);
    Path restored = tmp.resolve("restored/big");
    lifeboat.awaitCompleted(
        lifeboat.startRun(
            "local-restore",
            Map.of("path", restored.toString(), "source", "big", "archive", archive)),
        Duration.ofSeconds(60));
    Trees.assertSameTree(big, restored);

    // both runs are still listed with their history
    JsonNode list = lifeboat.get("/api/runs").body();
    assertThat(StreamSupport.stream(list.spliterator(), false).map(x -> x.path("id").asText()))
        .contains(waiting, backup);
    // and the killed attempt left nothing behind (the crash-leftover cleanup before a write to the
    // source)
    Path dir = repository.resolve("local/big");
    assertThat(Trees.partials(dir)).as("leftovers in %s: %s", dir, Trees.listAll(dir)).isEmpty();
  }
}
