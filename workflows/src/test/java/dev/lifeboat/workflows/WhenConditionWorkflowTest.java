package dev.lifeboat.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Steps with {@code when:} run or are SKIPPED, and the progress query says which and why. */
class WhenConditionWorkflowTest {
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private PlayedActions actions;
  private final RunbookLoader loader = new RunbookLoader(RunbookWorkflowTest.SIGNATURES);

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(RunbookWorkflow.TASK_QUEUE, RunbookWorkflowTest.workerOptions());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    actions = new PlayedActions();
    worker.registerActivitiesImplementations(actions);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private RunbookWorkflow start(String id, String yaml, Map<String, Object> params) {
    Runbook rb = loader.parse(yaml, "test.yaml");
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(id)
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, params, Map.of()));
    return wf;
  }

  private static RunResult result(RunbookWorkflow wf) {
    return WorkflowStub.fromTyped(wf).getResult(RunResult.class);
  }

  private static StepProgress step(RunProgress p, String id) {
    return p.steps().stream()
        .filter(s -> s.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + id + " in " + p.steps()));
  }

  static final String BRANCHES =
      """
      name: branches
      params:
        - name: useOffsite
          type: boolean
          default: false
        - name: note
          default: ""
      steps:
        - id: drive
          action: emit
          with: {value: x}
        - id: fromDrive
          action: emit
          when: ${steps.drive.available}
          with: {text: drive}
        - id: fetch
          action: emit
          when: ${steps.drive.missing}
          with: {text: offsite}
        - id: fromOffsite
          action: emit
          when: ${steps.fetch.path}
          with: {text: "${steps.fetch.path}"}
        - id: forced
          action: emit
          when: ${params.useOffsite}
          with: {text: forced}
        - id: noted
          action: emit
          when: ${params.note}
          with: {text: "${params.note}"}
        - id: always
          action: emit
          with: {text: done}
      """;

  @Test
  void trueConditionsRunAndFalseOnesAreSkippedWithTheReason() {
    actions.on(
        "emit",
        (args, call, ctx) ->
            call.stepKey().equals("drive")
                ? Map.of("available", true, "missing", false)
                : Map.of("echo", args));
    RunbookWorkflow wf = start("when-1", BRANCHES, Map.of());
    RunResult r = result(wf);

    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("drive", "fromDrive", "always");
    RunProgress p = wf.progress();
    assertThat(step(p, "fromDrive").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "fetch").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "fetch").message()).isEqualTo("skipped: ${steps.drive.missing} is false");
    assertThat(step(p, "fromOffsite").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "fromOffsite").message())
        .isEqualTo("skipped: ${steps.fetch.path} has no value (step 'fetch' was skipped)");
    assertThat(step(p, "forced").message()).isEqualTo("skipped: ${params.useOffsite} is false");
    assertThat(step(p, "noted").message()).isEqualTo("skipped: ${params.note} is false");
    assertThat(step(p, "fetch").endedAt())
        .isGreaterThanOrEqualTo(step(p, "fetch").startedAt())
        .isPositive();
    assertThat(r.outputs()).containsOnlyKeys("drive", "fromDrive", "always");
  }

  @Test
  void theOtherBranchRunsWhenTheFirstIsFalse() {
    actions.on(
        "emit",
        (args, call, ctx) ->
            switch (call.stepKey()) {
              case "drive" -> Map.of("available", "false", "missing", "true");
              case "fetch" -> Map.of("path", "/repo/tier2/shared/20261122T040000Z.tar.gz");
              default -> Map.of("echo", args);
            });
    RunbookWorkflow wf =
        start("when-2", BRANCHES, Map.of("useOffsite", true, "note", "yes please"));
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys())
        .containsExactly("drive", "fetch", "fromOffsite", "forced", "noted", "always");
    assertThat(actions.callsOf("fromOffsite").get(0).args())
        .containsEntry("text", "/repo/tier2/shared/20261122T040000Z.tar.gz");
    RunProgress p = wf.progress();
    assertThat(step(p, "fromDrive").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "fromDrive").message())
        .isEqualTo("skipped: ${steps.drive.available} is false");
  }

  @Test
  void truthOfValues() {
    assertThat(RunbookWorkflowImpl.isTrue(true)).isTrue();
    assertThat(RunbookWorkflowImpl.isTrue("true")).isTrue();
    assertThat(RunbookWorkflowImpl.isTrue("/mnt/drive")).isTrue();
    assertThat(RunbookWorkflowImpl.isTrue(List.of("a"))).isTrue();
    assertThat(RunbookWorkflowImpl.isTrue(false)).isFalse();
    assertThat(RunbookWorkflowImpl.isTrue("FALSE")).isFalse();
    assertThat(RunbookWorkflowImpl.isTrue(" ")).isFalse();
    assertThat(RunbookWorkflowImpl.isTrue(null)).isFalse();
    assertThat(RunbookWorkflowImpl.isTrue(List.of())).isFalse();
  }

  @Test
  void aMisspeltFieldFailsTheStepInsteadOfSkippingIt() {
    actions.on("emit", (args, call, ctx) -> Map.of("available", true));
    RunbookWorkflow wf =
        start(
            "when-3",
            """
        name: typo
        steps:
          - id: drive
            action: emit
          - id: restore
            action: emit
            when: ${steps.drive.avialable}
        """,
            Map.of());
    WorkflowFailedException e =
        catchThrowableOfType(WorkflowFailedException.class, () -> result(wf));
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .contains("step 'restore' failed")
        .contains("${steps.drive.avialable}")
        .contains("'avialable' is not there");
    assertThat(step(wf.progress(), "restore").state()).isEqualTo(StepState.FAILED);
  }

  @Test
  void aSkippedStepRegistersNoFinallyAndASkippedForEachRunsNoItems() {
    RunbookWorkflow wf =
        start(
            "when-4",
            """
        name: skipall
        params:
          - name: go
            type: boolean
            default: false
          - name: hosts
            type: list
            default: [a, b]
        steps:
          - id: down
            action: emit
            when: ${params.go}
            finally:
              - id: up
                action: emit
          - id: each
            action: emit
            when: ${params.go}
            forEach: ${params.hosts}
            with: {text: "${item}"}
          - id: last
            action: emit
            finally:
              - id: cleanup
                action: emit
                when: ${params.go}
        """,
            Map.of());
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("last");
    RunProgress p = wf.progress();
    assertThat(step(p, "down").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "up").state()).as("never registered").isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "each").state()).isEqualTo(StepState.SKIPPED);
    assertThat(p.steps()).noneMatch(s -> s.id().startsWith("each["));
    assertThat(step(p, "cleanup").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "cleanup").message()).isEqualTo("skipped: ${params.go} is false");
  }
}
