package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunbookLoaderTest {
  private final RunbookLoader loader = TestActions.loader();

  /** Parses {@code yaml} as file {@code rb.yaml} and returns the problem it must raise. */
  private RunbookProblem problem(String yaml) {
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(() -> loader.parse(yaml, "rb.yaml"));
    assertThat(t).as("expected a RunbookProblem").isInstanceOf(RunbookProblem.class);
    return (RunbookProblem) t;
  }

  private static void assertProblem(RunbookProblem p, int line, String... reasonParts) {
    assertThat(p.file()).isEqualTo("rb.yaml");
    assertThat(p.line()).as("line of: " + p.getMessage()).isEqualTo(line);
    assertThat(p.getMessage()).startsWith("rb.yaml:" + line + ": ");
    for (String part : reasonParts) {
      assertThat(p.reason()).contains(part);
    }
  }

  @Test
  void validRunbookLoadsWithParamsStepsFinallyAndRetry() {
    Runbook rb =
        loader.parse(
            """
        name: nightly-backup
        description: Back up the workstation
        params:
          - name: source
            type: string
            required: true
          - name: keep
            type: integer
            default: 7
          - name: window
            type: duration
            default: 30m
        steps:
          - id: down
            action: scale
            with:
              name: ws
              replicas: 0
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
          - id: backup
            action: backup
            with:
              source: ${params.source}
              tags: [a, b]
            retry:
              maxAttempts: 5
              initialInterval: 10s
              backoff: 1.5
            timeout: 1h
          - id: check
            action: verify
            approval: "Look at ${steps.backup.path} first"
            with: { path: "${steps.backup.path}", count: "${params.keep}" }
        finally:
          - id: notify
            action: verify
            with: {path: done}
        """,
            "nightly.yaml");

    assertThat(rb.name()).isEqualTo("nightly-backup");
    assertThat(rb.file()).isEqualTo("nightly.yaml");
    assertThat(rb.description()).isEqualTo("Back up the workstation");
    assertThat(rb.params()).extracting(Param::name).containsExactly("source", "keep", "window");
    assertThat(rb.params().get(0).required()).isTrue();
    assertThat(rb.params().get(0).defaultValue()).isNull();
    assertThat(rb.params().get(1).type()).isEqualTo(ParamType.INTEGER);
    assertThat(rb.params().get(1).defaultValue()).isEqualTo(7L);
    assertThat(rb.params().get(2).defaultValue()).isEqualTo("30m");

    assertThat(rb.steps()).extracting(Step::id).containsExactly("down", "backup", "check");
    assertThat(rb.steps()).extracting(Step::line).containsExactly(14, 23, 33);
    Step down = rb.steps().get(0);
    assertThat(down.with()).containsEntry("name", "ws").containsEntry("replicas", 0L);
    assertThat(down.finallySteps()).extracting(Step::id).containsExactly("up");
    assertThat(down.finallySteps().get(0).line()).isEqualTo(20);
    Step backup = rb.steps().get(1);
    assertThat(backup.retry()).isEqualTo(new RetrySpec(5, "10s", 1.5));
    assertThat(backup.timeout()).isEqualTo("1h");
    assertThat(backup.with()).containsEntry("tags", List.of("a", "b"));
    assertThat(backup.parallelism()).isEqualTo(1);
    Step check = rb.steps().get(2);
    assertThat(check.approval()).isEqualTo("Look at ${steps.backup.path} first");
    assertThat(check.with())
        .isEqualTo(Map.of("path", "${steps.backup.path}", "count", "${params.keep}"));
    assertThat(rb.finallySteps()).extracting(Step::id).containsExactly("notify");
    assertThat(rb.finallySteps().get(0).line()).isEqualTo(38);
  }

  @Test
  void forEachStepKeepsItsSettings() {
    Runbook rb =
        loader.parse(
            """
        name: many
        params:
          - name: members
            type: list
            default: [a, b, c]
        steps:
          - id: each
            action: backup
            forEach: ${params.members}
            parallelism: 2
            continueOnError: true
            with:
              source: /data/${item}
        """,
            "many.yaml");
    Step each = rb.steps().get(0);
    assertThat(each.forEach()).isEqualTo("${params.members}");
    assertThat(each.parallelism()).isEqualTo(2);
    assertThat(each.continueOnError()).isTrue();
    assertThat(rb.params().get(0).defaultValue()).isEqualTo(List.of("a", "b", "c"));
  }

  @Test
  void unknownActionNamesTheActionAndLine() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: snapshot
        """);
    assertProblem(p, 4, "step 'a'", "unknown action 'snapshot'", "backup", "verify", "scale");
  }

  @Test
  void unknownArgumentNamesTheArgumentAndLine() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: backup
            with:
              source: /data
              compression: zstd
        """);
    assertProblem(
        p, 7, "step 'a'", "action 'backup' has no argument 'compression'", "source, dest, tags");
  }

  @Test
  void missingRequiredArgumentPointsAtTheStep() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: backup
          - id: b
            action: scale
            with:
              name: ws
        """);
    assertProblem(p, 3, "step 'a'", "needs argument 'source'");
    RunbookProblem q =
        problem(
            """
        name: x
        steps:
          - id: b
            action: scale
            with:
              name: ws
        """);
    assertProblem(q, 3, "step 'b'", "needs argument 'replicas'");
  }

  @Test
  void referenceToUnknownParameter() {
    RunbookProblem p =
        problem(
            """
        name: x
        params:
          - name: source
        steps:
          - id: a
            action: backup
            with:
              source: ${params.sorce}
        """);
    assertProblem(p, 8, "step 'a'", "${params.sorce}", "no parameter 'sorce'");
  }

  @Test
  void referenceToUnknownStep() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: backup
            with:
              source: /data
          - id: b
            action: verify
            with:
              path: "archive at ${steps.bakup.path}"
        """);
    assertProblem(p, 10, "step 'b'", "${steps.bakup.path}", "no earlier step 'bakup'");
  }

  @Test
  void referenceToLaterStepSaysItRunsLater() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: check
            action: verify
            with:
              path: ${steps.backup.path}
          - id: backup
            action: backup
            with:
              source: /data
        """);
    assertProblem(p, 6, "step 'check'", "${steps.backup.path}", "step 'backup' runs later");
  }

  @Test
  void referenceInApprovalTextIsChecked() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            approval: "Check ${steps.nope.path}"
            with: {path: p}
        """);
    assertProblem(p, 5, "step 'a'", "no earlier step 'nope'");
  }

  @Test
  void itemInFinallyOfPlainStepIsRejected() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
            finally:
              - id: b
                action: verify
                with: {path: "${item}"}
        """);
    assertProblem(p, 9, "step 'b'", "${item} is only available");
  }

  @Test
  void referenceToItselfIsNotAllowed() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: check
            action: verify
            with:
              path: ${steps.check.path}
        """);
    assertProblem(p, 6, "step 'check'", "no earlier step 'check'");
  }

  @Test
  void referenceWithUnknownRoot() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with:
              path: ${env.HOME}
        """);
    assertProblem(p, 6, "references start with params., steps., item or run.");
  }

  @Test
  void duplicateStepIds() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
          - id: a
            action: verify
            with: {path: q}
        """);
    assertProblem(p, 6, "duplicate step id 'a'");
  }

  @Test
  void duplicateStepIdBetweenMainAndFinally() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
        finally:
          - id: a
            action: verify
            with: {path: q}
        """);
    assertProblem(p, 7, "duplicate step id 'a'");
  }

  @Test
  void badYamlSyntax() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p
          - id: b
        """);
    assertThat(p.reason()).startsWith("bad YAML:");
    assertThat(p.line()).isBetween(5, 6);
    assertThat(p.getMessage()).startsWith("rb.yaml:" + p.line() + ": bad YAML");
  }

  @Test
  void badYamlIndentationPointsAtTheLine() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
           with: {path: p}
        """);
    assertProblem(p, 5, "bad YAML");
  }

  @Test
  void duplicateKeysInAStep() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
            action: backup
        """);
    assertProblem(p, 6, "duplicate key 'action'");
  }

  @Test
  void duplicateKeysAtTopLevel() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
        name: y
        """);
    assertProblem(p, 6, "duplicate key 'name'");
  }

  @Test
  void duplicateArgument() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with:
              path: p
              path: q
        """);
    assertProblem(p, 7, "duplicate key 'path'");
  }

  @Test
  void unknownTopLevelKey() {
    RunbookProblem p =
        problem(
            """
        name: x
        stepz: []
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    assertProblem(p, 2, "unknown key 'stepz'", "allowed:", "steps");
  }

  @Test
  void unknownStepKey() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            retries: 3
            with: {path: p}
        """);
    assertProblem(p, 5, "unknown key 'retries'");
  }

  @Test
  void badDurationInTimeout() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
            timeout: 5 minutes
        """);
    assertProblem(p, 6, "'5 minutes' is not a duration");
  }

  @Test
  void badDurationInRetry() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
            retry:
              maxAttempts: 3
              initialInterval: soon
        """);
    assertProblem(p, 8, "'soon' is not a duration");
  }

  @Test
  void badRetryAttempts() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: verify
            with: {path: p}
            retry:
              maxAttempts: 0
        """);
    assertProblem(p, 7, "'maxAttempts' must be at least 1");
  }

  @Test
  void itemOutsideForEach() {
    RunbookProblem p =
        problem(
            """
        name: x
        steps:
          - id: a
            action: backup
            with:
              source: /data/${item}
        """);
    assertProblem(p, 6, "step 'a'", "${item} is only available in a step with 'forEach'");
  }

  @Test
  void itemInsideForEachFinallyIsAllowed() {
    Runbook rb =
        loader.parse(
            """
        name: x
        params:
          - name: workloads
            type: list
        steps:
          - id: a
            action: scale
            forEach: ${params.workloads}
            with:
              name: ${item}
              replicas: 0
            finally:
              - id: up
                action: scale
                with: {name: "${item}", replicas: 1}
        """,
            "rb.yaml");
    assertThat(rb.steps().get(0).finallySteps()).hasSize(1);
  }

  @Test
  void badParamType() {
    RunbookProblem p =
        problem(
            """
        name: x
        params:
          - name: count
            type: number
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    assertProblem(p, 4, "parameter 'count'", "unknown parameter type 'number'", "integer");
  }

  @Test
  void badParamDefault() {
    RunbookProblem p =
        problem(
            """
        name: x
        params:
          - name: count
            type: integer
            default: many
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    assertProblem(p, 5, "default of parameter 'count'", "'many' is not an integer");
  }

  @Test
  void badDurationDefault() {
    RunbookProblem p =
        problem(
            """
        name: x
        params:
          - name: window
            type: duration
            default: forever
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    assertProblem(p, 5, "default of parameter 'window'", "'forever' is not a duration");
  }

  @Test
  void requiredParamWithDefault() {
    RunbookProblem p =
        problem(
            """
        name: x
        params:
          - name: source
            required: true
            default: /data
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    assertProblem(p, 3, "parameter 'source' is required and has a default");
  }

  @Test
  void emptyFileAndMissingSteps() {
    assertThat(problem("").reason()).contains("empty");
    assertProblem(problem("name: x\n"), 1, "no 'steps'");
  }

  @Test
  void durationsAcceptShortAndIsoForms() {
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("PT2M")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> Durations.parse("5 m")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void durationsBeyondAHundredYearsAreRefusedByName() {
    assertThat(Durations.parse("36500d")).isEqualTo(Durations.MAX);
    for (String huge :
        List.of(
            "36501d",
            "1000000000000d",
            "106751991167301d",
            "9999999999999999999999d",
            "PT99999999999999999999H",
            "5300w",
            "PT876001H")) {
      assertThatThrownBy(() -> Durations.parse(huge))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "'"
                  + huge
                  + "' is longer than the longest duration Lifeboat takes (36500d, ~100 years)");
    }
  }

  @Test
  void loadDirectoryKeepsGoingAndFlagsDuplicateNames(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("a-first.yaml"),
        """
        name: restore
        steps:
          - id: a
            action: verify
            with: {path: p}
        """);
    Files.writeString(
        dir.resolve("b-broken.yaml"),
        """
        name: broken
        steps:
          - id: a
            action: nope
        """);
    Files.writeString(
        dir.resolve("c-again.yml"),
        """
        name: restore
        steps:
          - id: b
            action: verify
            with: {path: q}
        """);
    Files.writeString(
        dir.resolve("d-other.yaml"),
        """
        name: other
        steps:
          - id: b
            action: verify
            with: {path: q}
        """);
    Files.writeString(dir.resolve("notes.txt"), "not a runbook");

    List<LoadedRunbook> loaded = loader.loadDirectory(dir);

    assertThat(loaded)
        .extracting(LoadedRunbook::file)
        .containsExactly("a-first.yaml", "b-broken.yaml", "c-again.yml", "d-other.yaml");
    assertThat(loaded.get(0)).isInstanceOf(LoadedRunbook.Valid.class);
    assertThat(loaded.get(3)).isInstanceOf(LoadedRunbook.Valid.class);
    assertThat(loaded.get(3).runbook()).map(Runbook::name).contains("other");

    LoadedRunbook.Invalid broken = (LoadedRunbook.Invalid) loaded.get(1);
    assertThat(broken.name()).isEqualTo("b-broken");
    assertThat(broken.line()).isEqualTo(4);
    assertThat(broken.reason()).contains("unknown action 'nope'");
    assertThat(broken.runbook()).isEmpty();

    LoadedRunbook.Invalid dup = (LoadedRunbook.Invalid) loaded.get(2);
    assertThat(dup.name()).isEqualTo("restore");
    assertThat(dup.reason()).contains("'restore'").contains("a-first.yaml");
    assertThat(dup.line()).isZero();
  }

  @Test
  void loadDirectoryOfMissingFolder(@TempDir Path dir) {
    List<LoadedRunbook> loaded = loader.loadDirectory(dir.resolve("nope"));
    assertThat(loaded).hasSize(1);
    assertThat(((LoadedRunbook.Invalid) loaded.get(0)).reason()).contains("does not exist");
  }
}
