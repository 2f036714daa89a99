package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run survives a kill -9 of the Temporal dev server itself: started again on the same SQLite
 * file, the server still has the run, and Lifeboat (which reconnects on its own) finishes it.
 */
class TemporalRestartTest {
  @TempDir Path tmp;
  private TemporalDevServer temporal;
  private LifeboatProcess lifeboat;

  @AfterEach
  void stop() {
    if (lifeboat != null) {
      lifeboat.kill9();
    }
    if (temporal != null) {
      temporal.kill9();
    }
  }

  @Test
  void aRunSurvivesARestartOfTheTemporalServer() throws Exception {
    temporal = TemporalDevServer.start(tmp.resolve("temporal"));
    Path runbooks =
        LifeboatProcess.runbooks(
            tmp.resolve("runbooks"),
            Map.of("wait-then-approve", DurableRunsTest.WAIT_THEN_APPROVE.replace("25s", "8s")));
    lifeboat =
        LifeboatProcess.start(tmp, tmp.resolve("repository"), runbooks, temporal.lifeboatEnv());

    String id = lifeboat.startRun("wait-then-approve", Map.of());
    lifeboat.awaitRun(
        id,
        r -> LifeboatProcess.step(r, "settle").path("message").asText().contains("waiting"),
        Duration.ofSeconds(30),
        "the wait to begin");
    temporal.kill9();
    temporal.launch();
    // Lifeboat answers 503 while its gRPC channel reconnects
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (lifeboat.get("/api/runs/" + LifeboatProcess.enc(id)).status() != 200) {
      assertThat(System.nanoTime())
          .as("Lifeboat did not reach the restarted server")
          .isLessThan(deadline);
      LifeboatProcess.pause(200);
    }

    lifeboat.awaitRun(
        id,
        r -> "WAITING_FOR_APPROVAL".equals(r.path("status").asText()),
        Duration.ofSeconds(60),
        "the approval after the wait");
    assertThat(
            lifeboat
                .post("/api/runs/" + LifeboatProcess.enc(id) + "/approve/confirm", Map.of())
                .status())
        .isEqualTo(202);
    JsonNode done = lifeboat.awaitCompleted(id, Duration.ofSeconds(30));
    assertThat(LifeboatProcess.step(done, "settle").path("state").asText()).isEqualTo("SUCCEEDED");
  }
}
