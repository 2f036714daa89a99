package dev.lifeboat.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A gate passes only with an approval given while it waits: one sent early is not kept for later, a
 * step that is no gate cannot be approved, and a gate is approved once.
 */
class ApprovalWhileWaitingWorkflowTest {
  static final String TWO_GATES =
      """
      name: two-gates
      steps:
        - id: first
          action: approval
          with: {message: "first?"}
        - id: work
          action: emit
          with: {text: "between the gates"}
        - id: second
          action: approval
          with: {message: "second?"}
      """;

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private final RunbookLoader loader = new RunbookLoader(RunbookWorkflowTest.SIGNATURES);

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(RunbookWorkflow.TASK_QUEUE, RunbookWorkflowTest.workerOptions());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    worker.registerActivitiesImplementations(new PlayedActions());
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private RunbookWorkflow start(String id) {
    Runbook rb = loader.parse(TWO_GATES, "two-gates.yaml");
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

  private static Approval by(String who, String stepId) {
    return new Approval(stepId, who, 1L, "127.0.0.1", null, List.of());
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

  private static ApprovalRefusal refusal(RunbookWorkflow wf, Approval a) {
    WorkflowUpdateException e =
        catchThrowableOfType(WorkflowUpdateException.class, () -> wf.approveStep(a));
    assertThat(e).as("the update is refused").isNotNull();
    return ApprovalRefusal.from(e).orElseThrow(() -> new AssertionError("no refusal in " + e, e));
  }

  private void assertReplays(String id) throws Exception {
    WorkflowExecutionHistory history =
        env.getWorkflowExecutionHistory(WorkflowExecution.newBuilder().setWorkflowId(id).build());
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(history.toJson(true), id), RunbookWorkflowImpl.class);
  }

  @Test
  void anApprovalSignalledBeforeItsGateWaitsIsNotKeptForLater() throws Exception {
    RunbookWorkflow wf = start("early-signal");
    awaitProgress(wf, p -> step(p, "first").state() == StepState.WAITING_FOR_APPROVAL);
    wf.approveBy(by("early", "second"));
    wf.approve("second");
    wf.approveBy(by("alice", "first"));
    RunProgress p = awaitProgress(wf, q -> step(q, "second").state() != StepState.PENDING);
    assertThat(step(p, "second").state())
        .as("the early approvals of 'second' do not let it pass")
        .isEqualTo(StepState.WAITING_FOR_APPROVAL);
    assertThat(step(p, "second").approval()).isNull();
    wf.approveBy(by("bob", "second"));
    assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
        .isEqualTo(RunStatus.COMPLETED);
    assertThat(step(wf.progress(), "second").approval().by()).isEqualTo("bob");
    assertThat(step(wf.progress(), "first").approval().by()).isEqualTo("alice");
    assertReplays("early-signal");
  }

  @Test
  void theUpdateRefusesAGateNotYetWaitingAStepThatIsNoGateAndASecondApproval() throws Exception {
    RunbookWorkflow wf = start("refusals");
    awaitProgress(wf, p -> step(p, "first").state() == StepState.WAITING_FOR_APPROVAL);

    ApprovalRefusal early = refusal(wf, by("early", "second"));
    assertThat(early.reason()).isEqualTo(ApprovalRefusal.Reason.NOT_WAITING);
    assertThat(early.message())
        .isEqualTo("step 'second' is not waiting for approval (it is PENDING)");

    ApprovalRefusal notAGate = refusal(wf, by("early", "work"));
    assertThat(notAGate.reason()).isEqualTo(ApprovalRefusal.Reason.NOT_AN_APPROVAL_STEP);
    assertThat(notAGate.message()).isEqualTo("step 'work' is not an approval step");

    assertThat(refusal(wf, by("early", "nope")).reason())
        .isEqualTo(ApprovalRefusal.Reason.NO_SUCH_STEP);

    assertThat(wf.approveStep(by("alice", "first")).by()).isEqualTo("alice");
    RunProgress p =
        awaitProgress(wf, q -> step(q, "second").state() == StepState.WAITING_FOR_APPROVAL);
    ApprovalRefusal twice = refusal(wf, by("bob", "first"));
    assertThat(twice.reason()).isEqualTo(ApprovalRefusal.Reason.ALREADY_APPROVED);
    assertThat(twice.message()).isEqualTo("step 'first' is already approved by alice");
    assertThat(step(p, "first").approval().by()).isEqualTo("alice");
    assertThat(step(p, "work").approvalStep()).isFalse();
    assertThat(step(p, "second").approvalStep()).isTrue();

    wf.approveStep(by("carol", "second"));
    assertThat(WorkflowStub.fromTyped(wf).getResult(RunResult.class).status())
        .isEqualTo(RunStatus.COMPLETED);
    assertReplays("refusals");
  }

  @Test
  void twoApprovalsOfOneWaitingGateInTheSameMomentPassOnce() throws Exception {
    RunbookWorkflow wf = start("race");
    awaitProgress(wf, p -> step(p, "first").state() == StepState.WAITING_FOR_APPROVAL);
    // a signal and an update sent together: whichever the workflow sees first approves, the other
    // is refused or ignored; never both recorded
    wf.approveBy(by("alice", "first"));
    ApprovalRefusal second = refusal(wf, by("bob", "first"));
    assertThat(second.message()).isEqualTo("step 'first' is already approved by alice");
    awaitProgress(wf, q -> step(q, "second").state() == StepState.WAITING_FOR_APPROVAL);
    assertThat(step(wf.progress(), "first").approval().by()).isEqualTo("alice");
    WorkflowStub.fromTyped(wf).cancel();
  }
}
