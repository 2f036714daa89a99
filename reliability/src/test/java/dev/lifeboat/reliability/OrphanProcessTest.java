package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code command} step whose shell starts a grandchild: neither outlives a cancel, and after kill
 * -9 of the server the next start ends both (they are not left re-parented to PID 1).
 */
class OrphanProcessTest {
  static final String RUNBOOK =
      """
      name: orphan
      description: a shell that starts a grandchild and waits for it
      params:
        - name: dir
          required: true
      steps:
        - id: sleep
          action: command
          with:
            argv: [sh, -c, 'echo $$ > "$0/sh.pid"; sleep 300 & echo $! > "$0/grandchild.pid"; wait', "${params.dir}"]
      """;
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path tmp;
  private LifeboatProcess lifeboat;
  private final List<Long> started = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    lifeboat =
        LifeboatProcess.start(
            tmp,
            tmp.resolve("repository"),
            LifeboatProcess.runbooks(tmp.resolve("runbooks"), Map.of("orphan", RUNBOOK)));
  }

  @AfterEach
  void killEverything() {
    lifeboat.kill9();
    // whatever the outcome, leave no sleep 300 behind on the build machine
    started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void restartAfterKill9EndsTheShellAndItsGrandchild() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("pids"));
    lifeboat.startRun("orphan", Map.of("dir", dir.toString()));
    awaitPids(dir);
    lifeboat.kill9();

    lifeboat = lifeboat.restart();
    awaitGone();
  }

  @Test
  void cancelEndsTheShellAndItsGrandchild() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("pids"));
    String id = lifeboat.startRun("orphan", Map.of("dir", dir.toString()));
    awaitPids(dir);
    LifeboatProcess.Answer cancel =
        lifeboat.post("/api/runs/" + LifeboatProcess.enc(id) + "/cancel", Map.of());
    assertThat(cancel.status()).as("cancel: %s", cancel.raw()).isBetween(200, 299);
    JsonNode run = lifeboat.awaitEnd(id, DEADLINE);
    assertThat(run.path("status").asText()).isEqualTo("CANCELED");
    awaitGone();
  }

  /** Waits until the shell has written both pids, and remembers them. */
  private void awaitPids(Path dir) throws IOException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      Long sh = readPid(dir.resolve("sh.pid"));
      Long grandchild = readPid(dir.resolve("grandchild.pid"));
      if (sh != null && grandchild != null) {
        started.add(sh);
        started.add(grandchild);
        assertThat(started).allMatch(Trees::running);
        return;
      }
      assertThat(System.nanoTime())
          .as("the command wrote no pid files within %s:\n%s", DEADLINE, lifeboat.logTail())
          .isLessThan(deadline);
      LifeboatProcess.pause(50);
    }
  }

  private void awaitGone() {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (started.stream().anyMatch(Trees::running)) {
      assertThat(System.nanoTime())
          .as(
              "still running after %s: %s",
              DEADLINE, started.stream().filter(Trees::running).toList())
          .isLessThan(deadline);
      LifeboatProcess.pause(100);
    }
  }

  private static Long readPid(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    String text = Files.readString(file).strip();
    return text.matches("\\d+") ? Long.valueOf(text) : null;
  }
}
