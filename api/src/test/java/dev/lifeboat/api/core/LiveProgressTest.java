package dev.lifeboat.api.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunResult;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.RunbookWorkflow;
import dev.lifeboat.workflows.RunbookWorkflowImpl;
import dev.lifeboat.workflows.StepProgress;
import dev.lifeboat.workflows.StepState;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live progress travels in heartbeat details and the API reads it with DescribeWorkflowExecution: a
 * step that reports a 12-hour copy second by second leaves the run's history small, while {@link
 * RunService#get} shows its bytes while it runs. The same heartbeats bring a cancel to the running
 * action.
 */
class LiveProgressTest {
  private static final long SECONDS_12H = 12 * 3600;
  private static final long BYTES_PER_SECOND = 50L << 20;

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private final CountDownLatch seen = new CountDownLatch(1);
  private final CountDownLatch halfway = new CountDownLatch(1);

  record CopyArgs() {}

  record Mark(String target, int replicas) {}

  /**
   * Reports one progress update per simulated second of a 12-hour copy, pausing halfway for the
   * test to look.
   */
  private final Action<CopyArgs> longCopy =
      new Action<>() {
        public String name() {
          return "long-copy";
        }

        public String description() {
          return "simulated 12-hour copy";
        }

        public Class<CopyArgs> argumentsType() {
          return CopyArgs.class;
        }

        public Object run(CopyArgs args, ActionContext ctx) throws Exception {
          long total = SECONDS_12H * BYTES_PER_SECOND;
          for (long s = 1; s <= SECONDS_12H; s++) {
            ctx.progress(s * BYTES_PER_SECOND, total, s);
            if (s % 600 == 0) {
              ctx.log("copied " + s + " s worth");
              ctx.message("copying: " + (s * 100 / SECONDS_12H) + "%");
            }
            if (s == SECONDS_12H / 2) {
              halfway.countDown();
              assertThat(seen.await(60, TimeUnit.SECONDS)).as("the test saw live bytes").isTrue();
            }
          }
          return Map.of("bytes", total);
        }
      };

  /**
   * Records a checkpoint, sends progress after it, and fails once: the retry must find the
   * checkpoint.
   */
  private final Action<CopyArgs> resumable =
      new Action<>() {
        public String name() {
          return "resumable";
        }

        public String description() {
          return "checkpoint then fail once";
        }

        public Class<CopyArgs> argumentsType() {
          return CopyArgs.class;
        }

        public Object run(CopyArgs args, ActionContext ctx) throws Exception {
          Optional<Mark> before = ctx.lastCheckpoint(Mark.class);
          if (ctx.attempt() == 1) {
            ctx.checkpoint(new Mark("statefulset/member1", 3));
            ctx.progress(10, 100, 1);
            ctx.message("after the checkpoint");
            Thread.sleep(1500); // two heartbeats carry the progress after the checkpoint
            throw new IllegalStateException("first attempt fails");
          }
          return Map.of(
              "resumedFrom",
              before.map(Mark::target).orElse("nothing"),
              "replicas",
              before.map(Mark::replicas).orElse(-1));
        }
      };

  private final AtomicInteger blockedAttempts = new AtomicInteger();
  private final CountDownLatch blockedStarted = new CountDownLatch(1);

  /** Waits like a writer blocked on its channel: an interrupt becomes an I/O error. */
  private final Action<CopyArgs> blockedWrite =
      new Action<>() {
        public String name() {
          return "blocked-write";
        }

        public String description() {
          return "waits until interrupted, failing as a closed channel does";
        }

        public Class<CopyArgs> argumentsType() {
          return CopyArgs.class;
        }

        public Object run(CopyArgs args, ActionContext ctx) throws Exception {
          blockedAttempts.incrementAndGet();
          blockedStarted.countDown();
          try {
            new CountDownLatch(1).await(5, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            throw new ClosedByInterruptException();
          }
          return Map.of();
        }
      };

  private ActionRegistry actions() {
    return new ActionRegistry().register(longCopy).register(resumable).register(blockedWrite);
  }

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
    worker.registerActivitiesImplementations(new ActionDispatcher(actions()));
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private Runbook runbook(String yaml) {
    return new RunbookLoader(actions().signatures()).parse(yaml, "test.yaml");
  }

  private WorkflowStub start(String id, Runbook rb) {
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(id)
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
    return WorkflowStub.fromTyped(wf);
  }

  private static StepProgress step(RunService.RunView view, String id) {
    return view.steps().stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void aTwelveHourStepKeepsTheHistorySmallAndTheApiShowsLiveBytes() throws Exception {
    Runbook rb =
        runbook(
            """
        name: big-restore
        steps:
          - id: copy
            action: long-copy
            timeout: 13h
        """);
    RunService runs = new RunService(client, null);
    WorkflowStub run = start("big-restore@1", rb);

    assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              StepProgress copy = step(runs.get("big-restore@1").orElseThrow(), "copy");
              assertThat(copy.state()).isEqualTo(StepState.RUNNING);
              assertThat(copy.bytesDone()).isEqualTo(SECONDS_12H / 2 * BYTES_PER_SECOND);
              assertThat(copy.bytesTotal()).isEqualTo(SECONDS_12H * BYTES_PER_SECOND);
              assertThat(copy.filesDone()).isEqualTo(SECONDS_12H / 2);
              assertThat(copy.message()).isEqualTo("copying: 50%");
              assertThat(copy.log()).contains("copied 21600 s worth");
            });
    seen.countDown();
    run.getResult(RunResult.class);

    List<HistoryEvent> events = client.fetchHistory("big-restore@1").getHistory().getEventsList();
    assertThat(events)
        .as("history events of a run that reported 43,200 progress updates")
        .hasSizeLessThan(100);
    StepProgress done = step(runs.get("big-restore@1").orElseThrow(), "copy");
    assertThat(done.state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(done.bytesDone())
        .as("the final counters stay after the step ends")
        .isEqualTo(SECONDS_12H * BYTES_PER_SECOND);
    assertThat(done.message()).isEqualTo("copying: 100%");
    assertThat(done.log()).hasSize(50).last().isEqualTo("copied 43200 s worth");
    assertThat(done.output()).containsOnlyKeys("bytes");
  }

  @Test
  void progressSentAfterACheckpointDoesNotLoseIt() {
    Runbook rb =
        runbook(
            """
        name: scale
        steps:
          - id: down
            action: resumable
            retry: {maxAttempts: 2, initialInterval: 1s}
        """);
    WorkflowStub run = start("scale@1", rb);
    RunResult result = run.getResult(RunResult.class);
    assertThat(result.outputs().get("down"))
        .isEqualTo(Map.of("resumedFrom", "statefulset/member1", "replicas", 3));
  }

  /**
   * A cancel reaches a running action by interrupting its thread. Where the thread was waiting (a
   * full queue, a file channel), the interrupt surfaces as an I/O error, not as the cancel: the run
   * must still end CANCELED after one attempt, not retry the step as if it had failed.
   */
  @Test
  void anInterruptedWaitEndsTheRunCanceledWithoutARetry() throws Exception {
    Runbook rb =
        runbook(
            """
        name: write
        steps:
          - id: write
            action: blocked-write
            retry: {maxAttempts: 3, initialInterval: 1s}
          - id: after
            action: blocked-write
        """);
    WorkflowStub run = start("write@1", rb);
    assertThat(blockedStarted.await(60, TimeUnit.SECONDS)).isTrue();

    RunService runs = new RunService(client, null);
    runs.cancel("write@1");
    assertThatThrownBy(() -> run.getResult(30, TimeUnit.SECONDS, Object.class))
        .isInstanceOf(WorkflowFailedException.class);

    RunService.RunView view = runs.get("write@1").orElseThrow();
    assertThat(view.status()).isEqualTo(RunStatus.CANCELED);
    // the step the cancel interrupted ends "canceled", not with the interrupt's error
    assertThat(step(view, "write").state()).isEqualTo(StepState.FAILED);
    assertThat(step(view, "write").lastError()).isEqualTo("canceled");
    assertThat(step(view, "after").state()).isEqualTo(StepState.SKIPPED);
    assertThat(blockedAttempts).as("attempts of the cancelled step").hasValue(1);
  }
}
