package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

/** {@code when:} on a step: parsed, and its references checked like those in {@code with}. */
class WhenConditionLoaderTest {
  private final RunbookLoader loader = TestActions.loader();

  private RunbookProblem problem(String yaml) {
    RunbookProblem p =
        catchThrowableOfType(RunbookProblem.class, () -> loader.parse(yaml, "rb.yaml"));
    assertThat(p).as("expected a RunbookProblem").isNotNull();
    return p;
  }

  @Test
  void whenIsKeptOnTheStepAndOnFinallySteps() {
    Runbook rb =
        loader.parse(
            """
        name: branches
        params:
          - name: useOffsite
            type: boolean
            default: false
        steps:
          - id: drive
            action: verify
            with: {path: /mnt/drive}
          - id: fetch
            action: backup
            when: ${params.useOffsite}
            with: {source: offsite}
          - id: restore
            action: backup
            when: "${steps.drive.available}"
            with: {source: drive}
            finally:
              - id: tidy
                action: verify
                when: ${steps.restore.path}
                with: {path: x}
        """,
            "rb.yaml");
    assertThat(rb.steps().get(0).when()).isNull();
    assertThat(rb.steps().get(1).when()).isEqualTo("${params.useOffsite}");
    assertThat(rb.steps().get(2).when()).isEqualTo("${steps.drive.available}");
    assertThat(rb.steps().get(2).finallySteps().get(0).when()).isEqualTo("${steps.restore.path}");
  }

  @Test
  void whenOnALaterStepIsALoadErrorWithTheLine() {
    RunbookProblem p =
        problem(
            """
        name: later
        steps:
          - id: a
            action: verify
            when: ${steps.b.ok}
            with: {path: x}
          - id: b
            action: verify
            with: {path: y}
        """);
    assertThat(p.line()).isEqualTo(5);
    assertThat(p.reason()).contains("step 'a'").contains("${steps.b.ok}").contains("runs later");
  }

  @Test
  void whenOnItsOwnStepIsALoadError() {
    RunbookProblem p =
        problem(
            """
        name: self
        steps:
          - id: a
            action: verify
            when: ${steps.a.ok}
            with: {path: x}
        """);
    assertThat(p.reason()).contains("no earlier step 'a'");
  }

  @Test
  void whenWithAnUnknownParameterIsALoadError() {
    RunbookProblem p =
        problem(
            """
        name: unknown
        steps:
          - id: a
            action: verify
            when: ${params.offsite}
            with: {path: x}
        """);
    assertThat(p.line()).isEqualTo(5);
    assertThat(p.reason()).contains("there is no parameter 'offsite'");
  }

  @Test
  void whenCannotUseTheItemOfAForEach() {
    RunbookProblem p =
        problem(
            """
        name: items
        params:
          - name: hosts
            type: list
            default: [a, b]
        steps:
          - id: a
            action: verify
            forEach: ${params.hosts}
            when: ${item}
            with: {path: "${item}"}
        """);
    assertThat(p.reason()).contains("'when' is decided once for the whole step");
  }

  @Test
  void whenMustBeOneValue() {
    RunbookProblem p =
        problem(
            """
        name: listy
        steps:
          - id: a
            action: verify
            when: [x, y]
            with: {path: x}
        """);
    assertThat(p.line()).isEqualTo(5);
    assertThat(p.reason()).contains("'when' must be one expression");
    assertThat(
            problem(
                    """
        name: blank
        steps:
          - id: a
            action: verify
            when: ""
            with: {path: x}
        """)
                .reason())
        .contains("'when' is empty");
  }
}
