package dev.lifeboat.api.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.RunbookWorkflow;
import dev.lifeboat.workflows.RunbookWorkflowImpl;
import dev.lifeboat.workflows.StepState;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cancel reaches a running action by interrupting its thread. Where the thread was waiting (a
 * full queue, a file channel), the interrupt surfaces as an I/O error, not as the cancel: the run
 * must still end CANCELED after one attempt, not retry the step as if it had failed.
 */
class CancelInterruptsTest {
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private final AtomicInteger attempts = new AtomicInteger();
  private final CountDownLatch started = new CountDownLatch(1);

  record NoArgs() {}

  /** Waits like a writer blocked on its channel: an interrupt becomes an I/O error. */
  private final Action<NoArgs> blockedWrite =
      new Action<>() {
        public String name() {
          return "blocked-write";
        }

        public String description() {
          return "waits until interrupted, failing as a closed channel does";
        }

        public Class<NoArgs> argumentsType() {
          return NoArgs.class;
        }

        public Object run(NoArgs args, ActionContext ctx) throws Exception {
          attempts.incrementAndGet();
          started.countDown();
          try {
            new CountDownLatch(1).await(5, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            throw new ClosedByInterruptException();
          }
          return Map.of();
        }
      };

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker =
        env.newWorker(
            RunbookWorkflow.TASK_QUEUE,
            WorkerOptions.newBuilder()
                .setMaxHeartbeatThrottleInterval(Duration.ofMillis(200))
                .build());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new ActionDispatcher(new ActionRegistry().register(blockedWrite)));
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void anInterruptedWaitEndsTheRunCanceledWithoutARetry() throws Exception {
    Runbook rb =
        new RunbookLoader(new ActionRegistry().register(blockedWrite).signatures())
            .parse(
                """
            name: write
            steps:
              - id: write
                action: blocked-write
                retry: {maxAttempts: 3, initialInterval: 1s}
              - id: after
                action: blocked-write
            """,
                "test.yaml");
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId("write@1")
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

    RunService runs = new RunService(client, null);
    runs.cancel("write@1");
    WorkflowStub run = WorkflowStub.fromTyped(wf);
    assertThatThrownBy(() -> run.getResult(30, TimeUnit.SECONDS, Object.class))
        .isInstanceOf(WorkflowFailedException.class);

    RunService.RunView view = runs.get("write@1").orElseThrow();
    assertThat(view.status()).isEqualTo(RunStatus.CANCELED);
    assertThat(view.steps())
        .filteredOn(s -> s.id().equals("write"))
        .singleElement()
        .satisfies(
            s -> {
              // the step the cancel interrupted ends "canceled", not with the interrupt's error
              assertThat(s.state()).isEqualTo(StepState.FAILED);
              assertThat(s.lastError()).isEqualTo("canceled");
            });
    assertThat(view.steps())
        .filteredOn(s -> s.id().equals("after"))
        .singleElement()
        .satisfies(s -> assertThat(s.state()).isEqualTo(StepState.SKIPPED));
    assertThat(attempts).as("attempts of the cancelled step").hasValue(1);
  }
}
