package dev.lifeboat.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Guards determinism: a run recorded with an earlier RunbookWorkflowImpl must replay against the
 * current one. A change that alters the commands the workflow issues for the same history (adding,
 * removing or reordering activities, timers, child runs) breaks runs in flight and fails here.
 *
 * <p>To regenerate the committed history after an intended, versioned change (use {@code
 * Workflow.getVersion} for anything that can be in flight in production):
 *
 * <pre>
 * mvn -o -q -pl workflows test -Dtest=RunbookWorkflowReplayTest -Dlifeboat.recordHistory=true
 * </pre>
 *
 * which rewrites {@value #HISTORY} under {@code workflows/src/test/resources/} (run from the
 * repository root or the module folder), then commit the file.
 */
class RunbookWorkflowReplayTest {
  static final String HISTORY = "histories/representative-run.json";

  /**
   * The workflow id the history was recorded under. A history's events do not hold their own
   * workflow id, and the child run's id derives from it, so the replay must be told.
   */
  static final String RECORDED_ID = "representative-run";

  private static final String IDENTITY = "lifeboat-replay-test";

  static final String CHILD =
      """
      name: verify-one
      params:
        - name: path
          required: true
      steps:
        - id: check
          action: verify
          with: {path: "${params.path}"}
      """;

  /**
   * Steps with outputs, step-level and runbook-level finally, an approval, a forEach, a child run.
   */
  static final String RUNBOOK =
      """
      name: representative
      params:
        - name: host
          default: ws-1
        - name: members
          type: list
          default: [m1, m2, m3]
      steps:
        - id: down
          action: scale
          with: {name: "${params.host}", replicas: 0}
          finally:
            - id: up
              action: scale
              with: {name: "${params.host}", replicas: 1}
        - id: archive
          action: backup
          with: {source: "/data/${params.host}", tags: [nightly]}
          retry: {maxAttempts: 2, initialInterval: 1s}
        - id: gate
          action: approval
          with: {message: "Archive ${steps.archive.path} written; approve to verify"}
        - id: each
          action: verify
          forEach: ${params.members}
          parallelism: 2
          with: {path: "${steps.archive.path}/${item}"}
        - id: child
          action: runbook
          with:
            name: verify-one
            params: {path: "${steps.archive.path}"}
      finally:
        - id: notify
          action: emit
          with: {text: "done with ${params.host}"}
      """;

  @Test
  void committedHistoryReplaysAgainstTheCurrentWorkflow() throws Exception {
    String json;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(HISTORY)) {
      assertThat(in).as(HISTORY + " on the test classpath").isNotNull();
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(json, RECORDED_ID), RunbookWorkflowImpl.class);
  }

  @Test
  void freshRunReplays() throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      String json = record(env, "replay-fresh");
      WorkflowReplayer.replayWorkflowExecution(
          WorkflowExecutionHistory.fromJson(json, "replay-fresh"), RunbookWorkflowImpl.class);
    }
  }

  @Test
  @EnabledIfSystemProperty(named = "lifeboat.recordHistory", matches = "true")
  void recordHistory() throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      String json = record(env, RECORDED_ID);
      Path module =
          Files.isDirectory(Path.of("workflows", "src")) ? Path.of("workflows") : Path.of(".");
      Path out = module.resolve("src/test/resources").resolve(HISTORY);
      Files.createDirectories(out.getParent());
      Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
    }
  }

  /**
   * A run with what the step audit adds to the history: attempt failures signalled by the activity,
   * the old approve signal ignored by a step that requires a group, and an approveBy that satisfies
   * it. Recorded with {@code -Dlifeboat.recordAuditHistory=true} into {@value #AUDIT_HISTORY}.
   */
  static final String AUDIT_HISTORY = "histories/audit-run.json";

  static final String AUDIT_ID = "audit-run";
  static final String AUDIT_RUNBOOK =
      """
      name: audited
      steps:
        - id: archive
          action: backup
          with: {source: /data}
          retry: {maxAttempts: 3, initialInterval: 1s}
        - id: gate
          action: approval
          with: {message: "approve?", group: ops}
      """;

  @Test
  void committedAuditHistoryReplaysAgainstTheCurrentWorkflow() throws Exception {
    String json;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(AUDIT_HISTORY)) {
      assertThat(in).as(AUDIT_HISTORY + " on the test classpath").isNotNull();
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(json, AUDIT_ID), RunbookWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "lifeboat.recordAuditHistory", matches = "true")
  void recordAuditHistory() throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      Worker worker =
          env.newWorker(
              RunbookWorkflow.TASK_QUEUE,
              WorkerOptions.newBuilder(RunbookWorkflowTest.workerOptions())
                  .setIdentity(IDENTITY)
                  .build());
      worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
      worker.registerActivitiesImplementations(
          new PlayedActions()
              .on(
                  "backup",
                  (args, call, ctx) -> {
                    if (ctx.getInfo().getAttempt() < 3) {
                      throw new IllegalStateException(
                          "disk busy (attempt " + ctx.getInfo().getAttempt() + ")");
                    }
                    return Map.of("path", "/archives/data");
                  }));
      env.start();
      Runbook rb =
          new RunbookLoader(RunbookWorkflowTest.SIGNATURES).parse(AUDIT_RUNBOOK, "audited.yaml");
      RunbookWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  RunbookWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                      .setWorkflowId(AUDIT_ID)
                      .build());
      WorkflowExecution execution =
          WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (wf.progress().status() != RunStatus.WAITING_FOR_APPROVAL) {
        assertThat(System.nanoTime()).as("waiting for the approval step").isLessThan(deadline);
        Thread.sleep(20);
      }
      wf.approve("gate");
      wf.approveBy(
          new Approval(
              "gate", "alice", 1_800_000_000_000L, "127.0.0.1", "recorded", List.of("ops")));
      assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
          .isEqualTo(RunStatus.COMPLETED);
      assertThat(wf.progress().steps().get(0).attempts()).hasSize(2);
      String json = env.getWorkflowExecutionHistory(execution).toJson(true);
      Path module =
          Files.isDirectory(Path.of("workflows", "src")) ? Path.of("workflows") : Path.of(".");
      Path out = module.resolve("src/test/resources").resolve(AUDIT_HISTORY);
      Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
    }
  }

  /**
   * A run recorded before approvals had to wait for their step: the approval of {@code second} was
   * sent while the run waited at {@code first}, kept, and let {@code second} pass with no one
   * looking. Runs like it may be in flight; they must replay as they ran. Recorded with {@code
   * -Dlifeboat.recordEarlyApprovalHistory=true} into {@value #EARLY_APPROVAL_HISTORY}.
   */
  static final String EARLY_APPROVAL_HISTORY = "histories/early-approval-run.json";

  static final String EARLY_APPROVAL_ID = "early-approval-run";
  static final String EARLY_APPROVAL_RUNBOOK =
      """
      name: two-gates
      steps:
        - id: first
          action: approval
          with: {message: "first?"}
        - id: second
          action: approval
          with: {message: "second?"}
      """;

  @Test
  void committedEarlyApprovalHistoryReplaysAgainstTheCurrentWorkflow() throws Exception {
    String json;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(EARLY_APPROVAL_HISTORY)) {
      assertThat(in).as(EARLY_APPROVAL_HISTORY + " on the test classpath").isNotNull();
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(json, EARLY_APPROVAL_ID), RunbookWorkflowImpl.class);
  }

  @Test
  @EnabledIfSystemProperty(named = "lifeboat.recordEarlyApprovalHistory", matches = "true")
  void recordEarlyApprovalHistory() throws Exception {
    try (TestWorkflowEnvironment env = environment()) {
      Worker worker =
          env.newWorker(
              RunbookWorkflow.TASK_QUEUE,
              WorkerOptions.newBuilder(RunbookWorkflowTest.workerOptions())
                  .setIdentity(IDENTITY)
                  .build());
      worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
      worker.registerActivitiesImplementations(new PlayedActions());
      env.start();
      Runbook rb =
          new RunbookLoader(RunbookWorkflowTest.SIGNATURES)
              .parse(EARLY_APPROVAL_RUNBOOK, "two-gates.yaml");
      RunbookWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  RunbookWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                      .setWorkflowId(EARLY_APPROVAL_ID)
                      .build());
      WorkflowExecution execution =
          WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (wf.progress().status() != RunStatus.WAITING_FOR_APPROVAL) {
        assertThat(System.nanoTime()).as("waiting for the approval step").isLessThan(deadline);
        Thread.sleep(20);
      }
      wf.approveBy(
          new Approval("second", "early", 1_800_000_000_000L, "127.0.0.1", null, List.of()));
      wf.approveBy(
          new Approval("first", "alice", 1_800_000_000_001L, "127.0.0.1", null, List.of()));
      assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
          .isEqualTo(RunStatus.COMPLETED);
      String json = env.getWorkflowExecutionHistory(execution).toJson(true);
      Path module =
          Files.isDirectory(Path.of("workflows", "src")) ? Path.of("workflows") : Path.of(".");
      Path out = module.resolve("src/test/resources").resolve(EARLY_APPROVAL_HISTORY);
      Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
    }
  }

  /** A fixed identity keeps the recording free of the recording machine's pid@host. */
  private static TestWorkflowEnvironment environment() {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(
                WorkflowClientOptions.newBuilder().setIdentity(IDENTITY).build())
            .build());
  }

  /** Runs the representative runbook to completion and returns its history as JSON. */
  private static String record(TestWorkflowEnvironment env, String workflowId) throws Exception {
    Worker worker =
        env.newWorker(
            RunbookWorkflow.TASK_QUEUE,
            WorkerOptions.newBuilder(RunbookWorkflowTest.workerOptions())
                .setIdentity(IDENTITY)
                .build());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    PlayedActions actions =
        new PlayedActions()
            .on(
                "backup",
                (args, call, ctx) -> {
                  ctx.getWorkflowClient()
                      .newWorkflowStub(RunbookWorkflow.class, call.runId())
                      .reportProgress(
                          new ProgressReport(
                              call.stepKey(),
                              ctx.getInfo().getAttempt(),
                              10,
                              10,
                              1,
                              "archived",
                              List.of("f")));
                  return Map.of(
                      "path",
                      "/archives/" + args.get("source").toString().replace('/', '_'),
                      "bytes",
                      10);
                })
            .on("verify", (args, call, ctx) -> Map.of("ok", true, "path", args.get("path")));
    worker.registerActivitiesImplementations(actions);
    env.start();

    RunbookLoader loader = new RunbookLoader(RunbookWorkflowTest.SIGNATURES);
    Runbook rb = loader.parse(RUNBOOK, "representative.yaml");
    Runbook child = loader.parse(CHILD, "verify-one.yaml");
    WorkflowClient client = env.getWorkflowClient();
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(workflowId)
                .build());
    WorkflowExecution execution =
        WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of("verify-one", child)));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (wf.progress().status() != RunStatus.WAITING_FOR_APPROVAL) {
      assertThat(System.nanoTime()).as("waiting for the approval step").isLessThan(deadline);
      Thread.sleep(20);
    }
    wf.approve("gate");
    RunResult result = WorkflowStub.fromTyped(wf).getResult(RunResult.class);
    assertThat(result.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys())
        .contains("down", "archive", "each[m1]", "each[m2]", "each[m3]", "check", "up", "notify");
    return env.getWorkflowExecutionHistory(execution).toJson(true);
  }
}
