package dev.lifeboat.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a run keeps about its steps for humans: every failed attempt, and who approved what. */
class StepAuditWorkflowTest {
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

  private RunbookWorkflow start(String id, String yaml) {
    Runbook rb = loader.parse(yaml, "test.yaml");
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(id)
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
    return wf;
  }

  private static StepProgress step(RunProgress p, String id) {
    return p.steps().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
  }

  private static RunProgress awaitProgress(RunbookWorkflow wf, Predicate<RunProgress> until)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try {
        RunProgress p = wf.progress();
        if (until.test(p)) {
          return p;
        }
      } catch (io.temporal.client.WorkflowQueryException e) {
        // the first workflow task has not run yet
      }
      Thread.sleep(20);
    }
    throw new AssertionError("progress never matched: " + wf.progress());
  }

  private void assertReplays(String id) throws Exception {
    WorkflowExecutionHistory history =
        env.getWorkflowExecutionHistory(WorkflowExecution.newBuilder().setWorkflowId(id).build());
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(history.toJson(true), id), RunbookWorkflowImpl.class);
  }

  @Test
  void everyFailedAttemptIsKeptWithItsErrorAndTime() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    actions.on(
        "backup",
        (args, call, ctx) -> {
          int n = calls.incrementAndGet();
          if (n < 3) {
            throw new IllegalStateException("disk busy (attempt " + n + ")");
          }
          return Map.of("path", "/a");
        });
    long before = System.currentTimeMillis();
    RunbookWorkflow wf =
        start(
            "attempts-1",
            """
        name: flaky
        steps:
          - id: archive
            action: backup
            with: {source: /data}
            retry: {maxAttempts: 3, initialInterval: 1s}
        """);
    assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
        .isEqualTo(RunStatus.COMPLETED);
    StepProgress archive = step(wf.progress(), "archive");
    assertThat(archive.attempts())
        .extracting(Attempt::error)
        .containsExactly("disk busy (attempt 1)", "disk busy (attempt 2)");
    assertThat(archive.attempts()).extracting(Attempt::attempt).containsExactly(1, 2);
    assertThat(archive.attempts())
        .allSatisfy(a -> assertThat(a.at()).isGreaterThanOrEqualTo(before));
    assertThat(archive.lastError()).isNull();
    assertReplays("attempts-1");
  }

  @Test
  void aNonRetryableFailureIsOneAttempt() throws Exception {
    actions.on(
        "verify",
        (args, call, ctx) -> {
          throw ApplicationFailure.newNonRetryableFailure(
              "digest mismatch", ActionFailureTypes.CHECK_FAILED);
        });
    RunbookWorkflow wf =
        start(
            "attempts-2",
            """
        name: once
        steps:
          - id: check
            action: verify
            with: {path: /a}
            retry: {maxAttempts: 5}
        """);
    assertThat(
            catchThrowableOfType(
                WorkflowFailedException.class,
                () -> WorkflowStub.fromTyped(wf).getResult(RunResult.class)))
        .isNotNull();
    assertThat(step(wf.progress(), "check").attempts())
        .extracting(Attempt::error)
        .containsExactly("digest mismatch");
  }

  @Test
  void anApprovalRecordsWhoWhenWhereAndWhy() throws Exception {
    RunbookWorkflow wf =
        start(
            "approve-audit",
            """
        name: gated
        steps:
          - id: gate
            action: approval
            with: {message: "approve?"}
        """);
    awaitProgress(wf, p -> p.status() == RunStatus.WAITING_FOR_APPROVAL);
    wf.approveBy(new Approval("gate", "alice", 1234L, "10.0.0.7", "looked at the disk", List.of()));
    assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
        .isEqualTo(RunStatus.COMPLETED);
    StepProgress gate = step(wf.progress(), "gate");
    assertThat(gate.approval())
        .isEqualTo(
            new Approval("gate", "alice", 1234L, "10.0.0.7", "looked at the disk", List.of()));
    assertThat(gate.message()).isEqualTo("approved by alice");
    // the audit is the signal's input, so it is in Temporal's history
    var signals =
        env
            .getWorkflowExecutionHistory(
                WorkflowExecution.newBuilder().setWorkflowId("approve-audit").build())
            .getEvents()
            .stream()
            .filter(
                e ->
                    e.hasWorkflowExecutionSignaledEventAttributes()
                        && e.getWorkflowExecutionSignaledEventAttributes()
                            .getSignalName()
                            .equals("approveBy"))
            .map(
                e ->
                    io.temporal.common.converter.DefaultDataConverter.newDefaultInstance()
                        .fromPayload(
                            e.getWorkflowExecutionSignaledEventAttributes()
                                .getInput()
                                .getPayloads(0),
                            Approval.class,
                            Approval.class))
            .toList();
    assertThat(signals)
        .extracting(Approval::by, Approval::from, Approval::comment)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("alice", "10.0.0.7", "looked at the disk"));
    assertReplays("approve-audit");
  }

  @Test
  void aStepThatRequiresAGroupIgnoresApprovalsFromOutsideIt() throws Exception {
    RunbookWorkflow wf =
        start(
            "approve-group",
            """
        name: gated
        steps:
          - id: wipe
            action: emit
            approval: {message: "wipe the disk?", group: ops}
            with: {text: wipe}
        """);
    RunProgress waiting = awaitProgress(wf, p -> p.status() == RunStatus.WAITING_FOR_APPROVAL);
    assertThat(step(waiting, "wipe").approvalGroup()).isEqualTo("ops");
    assertThat(step(waiting, "wipe").message()).isEqualTo("wipe the disk?");
    wf.approve("wipe");
    wf.approveBy(new Approval("wipe", "mallory", 1L, "10.0.0.9", null, List.of("dev")));
    RunProgress still = awaitProgress(wf, p -> step(p, "wipe").log().size() == 2);
    assertThat(still.status()).isEqualTo(RunStatus.WAITING_FOR_APPROVAL);
    assertThat(step(still, "wipe").log())
        .allSatisfy(l -> assertThat(l).contains("not in approver group 'ops'"));
    assertThat(actions.stepKeys()).isEmpty();

    wf.approveBy(new Approval("wipe", "bob", 2L, "127.0.0.1", "ok", List.of("ops")));
    assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
        .isEqualTo(RunStatus.COMPLETED);
    assertThat(step(wf.progress(), "wipe").approval().by()).isEqualTo("bob");
    assertThat(actions.stepKeys()).containsExactly("wipe");
    assertReplays("approve-group");
  }
}
