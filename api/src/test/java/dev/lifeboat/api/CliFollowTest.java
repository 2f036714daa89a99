package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.activities.archive.Fixtures;
import dev.lifeboat.api.CliTest.Outcome;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code run --wait} / {@code status --follow}: JSON lines for scripts, plain lines when piped,
 * exit codes.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class CliFollowTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks",
              TestFolders.runbooks(
                      "cli-follow",
                      """
          name: works
          steps:
            - id: say
              action: command
              with:
                argv: [echo, hello]
          """,
                      """
          name: breaks
          steps:
            - id: boom
              action: command
              retry: {maxAttempts: 1}
              with:
                argv: ["false"]
          """,
                      """
          name: pauses
          steps:
            - id: nap
              action: wait
              retry: {maxAttempts: 1}
              with: {duration: 1s}
          """,
                      """
          name: paints
          steps:
            - id: tool
              action: command
              retry: {maxAttempts: 1}
              with:
                argv: [sh, -c, 'printf ''x\\033[2J\\033[31mred\\tpart'' >&2; exit 3']
          """,
                      """
          name: gaps
          params:
            - name: path
              required: true
          steps:
            - id: archive
              action: backup
              with: {path: "${params.path}"}
          """)
                  .toString()),
          ConfigOverride.config("repository", TestFolders.temp("cli-follow-repo").toString()));

  private static Outcome cli(String... args) {
    return CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), args);
  }

  private static List<JsonNode> jsonLines(String out) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.strip().split("\n")) {
      lines.add(JSON.readTree(line)); // every line is one JSON document
    }
    return lines;
  }

  @Test
  void runWaitJsonPrintsTheRunAsJsonLinesAndExitsZeroWhenCompleted() throws Exception {
    Outcome o = cli("run", "works", "--wait", "--json");
    assertThat(o.exit()).isZero();
    List<JsonNode> lines = jsonLines(o.out());
    JsonNode last = lines.get(lines.size() - 1);
    assertThat(last.get("status").asText()).isEqualTo("COMPLETED");
    JsonNode step = last.get("steps").get(0);
    assertThat(step.get("id").asText()).isEqualTo("say");
    assertThat(step.get("startedAt").asLong()).isPositive();
    assertThat(step.get("endedAt").asLong()).isGreaterThanOrEqualTo(step.get("startedAt").asLong());
    assertThat(step.get("output").has("_live"))
        .as("the live record is not part of the output")
        .isFalse();
    assertThat(last.get("warnings")).isEmpty();

    Outcome status = cli("status", last.get("id").asText(), "--json");
    assertThat(status.exit()).isZero();
    assertThat(JSON.readTree(status.out()).get("status").asText()).isEqualTo("COMPLETED");
  }

  @Test
  void aFailedRunExitsOneInEveryShape() throws Exception {
    Outcome json = cli("run", "breaks", "--wait", "--json");
    assertThat(json.exit()).isEqualTo(1);
    List<JsonNode> lines = jsonLines(json.out());
    JsonNode last = lines.get(lines.size() - 1);
    assertThat(last.get("status").asText()).isEqualTo("FAILED");
    assertThat(last.get("steps").get(0).get("state").asText()).isEqualTo("FAILED");

    Outcome followed = cli("status", last.get("id").asText(), "--follow");
    assertThat(followed.exit()).isEqualTo(1);
    assertThat(followed.out())
        .contains("boom: FAILED")
        .contains(last.get("id").asText() + " FAILED");
    assertThat(followed.out())
        .as("piped output has no terminal control characters")
        .doesNotContain("\r", "\033");

    Outcome plain = cli("run", "breaks", "--wait");
    assertThat(plain.exit()).isEqualTo(1);
    assertThat(plain.out()).startsWith("started breaks@").contains(" FAILED");
  }

  /**
   * A backup that could not read an entry exited 0 like a whole one; restic exits 3 then, and 3 is
   * this CLI's "unreachable", so 4. The warnings are the last lines.
   */
  @Test
  void aRunThatCompletedWithWarningsExitsFourAndPrintsThemLast() throws Exception {
    Path notes = Files.createDirectories(TestFolders.temp("cli-gaps").resolve("notes"));
    Files.writeString(notes.resolve("a.txt"), "a\n");
    Fixtures.tooDeepToRead(notes);
    try {
      Outcome plain = cli("run", "gaps", "path=" + notes, "--wait");
      assertThat(plain.exit()).as(plain.out() + plain.err()).isEqualTo(4);
      List<String> lines = plain.out().strip().lines().toList();
      String id = lines.get(0).substring("started ".length());
      assertThat(lines.get(lines.size() - 2)).isEqualTo(id + " COMPLETED with warnings");
      assertThat(lines.get(lines.size() - 1))
          .startsWith("  warning: archive: 1 entry could not be read and is NOT in ")
          .endsWith(": unreadable: File name too long");

      Outcome json = cli("status", id, "--follow", "--json");
      assertThat(json.exit()).isEqualTo(4);
      List<JsonNode> runs = jsonLines(json.out());
      JsonNode last = runs.get(runs.size() - 1);
      assertThat(last.get("status").asText()).isEqualTo("COMPLETED");
      assertThat(last.get("warnings").get(0).get("step").asText()).isEqualTo("archive");

      // a look, not a wait: the command did what it was asked
      Outcome status = cli("status", id);
      assertThat(status.exit()).isZero();
      assertThat(status.out())
          .startsWith(id + " COMPLETED with warnings\n")
          .contains("  warning: archive: 1 entry could not be read");
      // and in the list of runs, read from the run's result
      Outcome list = cli("list", "runs");
      assertThat(list.exit()).isZero();
      assertThat(list.out()).contains(id + "  COMPLETED with warnings\n");
    } finally {
      Fixtures.removeTooDeep(notes);
    }
  }

  @Test
  void aStepThatReadsItsCheckpointPassesItsFirstAttempt() throws Exception {
    // the SDK answers a heartbeat-details read with this attempt's own progress record once one
    // was sent: a wait step's first attempt failed on it, always
    Outcome run = cli("run", "pauses", "--wait", "--json");
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    List<JsonNode> lines = jsonLines(run.out());
    JsonNode step = lines.get(lines.size() - 1).get("steps").get(0);
    assertThat(step.get("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(step.path("attempts").size()).as(step.toString()).isLessThanOrEqualTo(1);
  }

  @Test
  void escapeSequencesInAFailureAreShownNotSentToTheTerminal() throws Exception {
    Outcome run = cli("run", "paints", "--wait");
    assertThat(run.exit()).isEqualTo(1);
    String id = run.out().lines().findFirst().orElseThrow().substring("started ".length());
    for (Outcome o : List.of(run, cli("status", id), cli("status", id, "--follow"))) {
      assertThat(o.out()).contains("\\x1b[31mred\\tpart").doesNotContain("\033", "\t");
    }
  }

  @Test
  void refusedIsTwoAndUnreachableIsThree() {
    Outcome refused = cli("run", "nope", "--wait", "--json");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("no runbook named 'nope'");
    Outcome unreachable =
        CliTest.cliAt("http://127.0.0.1:1", "status", "works@20260101T000000.000Z", "--follow");
    assertThat(unreachable.exit()).isEqualTo(3);
    assertThat(unreachable.err()).contains("cannot reach Lifeboat");
  }
}
