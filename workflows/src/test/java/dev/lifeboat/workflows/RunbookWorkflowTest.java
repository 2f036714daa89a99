package dev.lifeboat.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeboat.runbook.ActionSignature;
import dev.lifeboat.runbook.ArgSpec;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * RunbookWorkflowImpl against Temporal's in-memory test server, with {@link PlayedActions} standing
 * in for the activities.
 */
class RunbookWorkflowTest {
  static final List<ActionSignature> SIGNATURES = signatures();

  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private PlayedActions actions;
  private final RunbookLoader loader = new RunbookLoader(SIGNATURES);

  static List<ActionSignature> signatures() {
    List<ActionSignature> out = new ArrayList<>(dev.lifeboat.runbook.TestActions.signatures());
    out.add(
        ActionSignature.of(
            "emit",
            "Returns whatever the test scripts",
            List.of(
                new ArgSpec("value", "any", false, ""),
                new ArgSpec("text", "string", false, ""),
                new ArgSpec("list", "list", false, ""),
                new ArgSpec("count", "integer", false, ""))));
    out.add(ActionSignature.of("slow", "Heartbeats until canceled", List.of()));
    out.add(
        ActionSignature.of(
            "fail", "Always fails", List.of(new ArgSpec("reason", "string", false, ""))));
    return out;
  }

  /** Worker settings the workflow tests need. */
  static WorkerOptions workerOptions() {
    // The SDK throttles heartbeats to 80% of the heartbeat timeout (48 s here), and an activity
    // only
    // learns of a cancel from a heartbeat's reply; a short throttle makes cancels arrive at once.
    return WorkerOptions.newBuilder()
        .setMaxHeartbeatThrottleInterval(Duration.ofMillis(100))
        .build();
  }

  @BeforeEach
  void setUp() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(RunbookWorkflow.TASK_QUEUE, workerOptions());
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

  private Runbook parse(String yaml) {
    return loader.parse(yaml, "test.yaml");
  }

  private RunbookWorkflow start(
      String id, Runbook rb, Map<String, Object> params, Map<String, Runbook> library) {
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(id)
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, params, library));
    return wf;
  }

  private RunbookWorkflow start(String id, Runbook rb) {
    return start(id, rb, Map.of(), Map.of());
  }

  private static RunResult result(RunbookWorkflow wf) {
    return WorkflowStub.fromTyped(wf).getResult(RunResult.class);
  }

  private static WorkflowFailedException failure(RunbookWorkflow wf) {
    WorkflowFailedException e =
        catchThrowableOfType(WorkflowFailedException.class, () -> result(wf));
    assertThat(e).as("the run should have failed").isNotNull();
    return e;
  }

  private static StepProgress step(RunProgress p, String id) {
    return p.steps().stream()
        .filter(s -> s.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + id + " in " + p.steps()));
  }

  /** Polls the progress query until it matches; for states a test cannot wait on any other way. */
  private static RunProgress awaitProgress(RunbookWorkflow wf, Predicate<RunProgress> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    RunProgress p = null;
    while (System.nanoTime() < deadline) {
      try {
        p = wf.progress();
        if (until.test(p)) {
          return p;
        }
      } catch (io.temporal.client.WorkflowQueryException e) {
        // the first workflow task has not run yet
      }
      Thread.sleep(20);
    }
    throw new AssertionError("progress never matched; last: " + p);
  }

  @Test
  void stepsRunInOrderAndOutputsFlowIntoLaterSteps() {
    actions.on(
        "backup",
        (args, call, ctx) ->
            Map.of(
                "path",
                "/archives/" + args.get("source") + ".tar.zst",
                "size",
                1234,
                "files",
                List.of("a.txt", "b.txt"),
                "meta",
                Map.of("digest", "sha256:ab")));
    Runbook rb =
        parse(
            """
        name: flow
        params:
          - name: host
            default: ws-1
          - name: keep
            type: integer
            default: 7
        steps:
          - id: archive
            action: backup
            with:
              source: ${params.host}
          - id: check
            action: verify
            with:
              path: ${steps.archive.path}
              count: ${steps.archive.size}
          - id: record
            action: emit
            with:
              text: "copy of ${steps.archive.path} (${steps.archive.size} bytes, keep ${params.keep}) on ${run.runbook}"
              list: ${steps.archive.files}
              value: ${steps.archive.meta}
              count: ${params.keep}
        """);

    RunResult r = result(start("flow-1", rb));

    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("archive", "check", "record");
    assertThat(actions.callsOf("archive").get(0).args()).isEqualTo(Map.of("source", "ws-1"));
    Map<String, Object> check = actions.callsOf("check").get(0).args();
    assertThat(check).containsEntry("path", "/archives/ws-1.tar.zst");
    assertThat(check.get("count"))
        .as("a whole-value reference keeps its number type")
        .isEqualTo(1234);
    Map<String, Object> record = actions.callsOf("record").get(0).args();
    assertThat(record.get("text"))
        .isEqualTo("copy of /archives/ws-1.tar.zst (1234 bytes, keep 7) on flow");
    assertThat(record.get("list")).isEqualTo(List.of("a.txt", "b.txt"));
    assertThat(record.get("value")).isEqualTo(Map.of("digest", "sha256:ab"));
    assertThat(record.get("count")).isEqualTo(7);
    assertThat(actions.calls()).allSatisfy(c -> assertThat(c.runId()).isEqualTo("flow-1"));
    assertThat(r.outputs()).containsOnlyKeys("archive", "check", "record");
    assertThat(r.outputs().get("archive")).isInstanceOf(Map.class);

    RunProgress p =
        WorkflowStub.fromTyped(client.newWorkflowStub(RunbookWorkflow.class, "flow-1"))
            .query("progress", RunProgress.class);
    assertThat(p.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(p.steps()).extracting(StepProgress::state).containsOnly(StepState.SUCCEEDED);
    assertThat(step(p, "check").output()).containsKey("echo");
    assertThat(p.endedAt()).isGreaterThanOrEqualTo(p.startedAt());
  }

  @Test
  void retriesAFailingActivityUpToMaxAttempts() {
    AtomicInteger attempts = new AtomicInteger();
    actions.on(
        "backup",
        (args, call, ctx) -> {
          int attempt = ctx.getInfo().getAttempt();
          attempts.incrementAndGet();
          ctx.getWorkflowClient()
              .newWorkflowStub(RunbookWorkflow.class, call.runId())
              .reportProgress(
                  new ProgressReport(
                      call.stepKey(), attempt, 0, 0, 0, "attempt " + attempt, List.of()));
          if (attempt < 3) {
            throw new IllegalStateException("disk busy (attempt " + attempt + ")");
          }
          return Map.of("path", "/a");
        });
    Runbook rb =
        parse(
            """
        name: flaky
        steps:
          - id: archive
            action: backup
            with: {source: /data}
            retry:
              maxAttempts: 3
              initialInterval: 10s
        """);
    RunbookWorkflow wf = start("retry-1", rb);
    RunResult r = result(wf);

    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(attempts).hasValue(3);
    assertThat(actions.callsOf("archive"))
        .extracting(PlayedActions.Call::attempt)
        .containsExactly(1, 2, 3);
    StepProgress archive = step(wf.progress(), "archive");
    assertThat(archive.state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(archive.attempt()).isEqualTo(3);
    assertThat(archive.message()).isEqualTo("attempt 3");
  }

  @Test
  void retriesRunOutAndTheRunFailsNamingTheStep() {
    actions.on(
        "backup",
        (args, call, ctx) -> {
          throw new IllegalStateException("disk full");
        });
    Runbook rb =
        parse(
            """
        name: flaky
        steps:
          - id: archive
            action: backup
            with: {source: /data}
            retry: {maxAttempts: 2, initialInterval: 1s}
        """);
    RunbookWorkflow wf = start("retry-2", rb);
    WorkflowFailedException e = failure(wf);
    assertThat(actions.callsOf("archive")).hasSize(2);
    assertThat(e.getCause()).isInstanceOf(ApplicationFailure.class);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'archive' failed: disk full");
  }

  @Test
  void nonRetryableFailureIsNotRetried() {
    actions.on(
        "verify",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("digest mismatch", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook rb =
        parse(
            """
        name: once
        steps:
          - id: check
            action: verify
            with: {path: /a}
            retry: {maxAttempts: 5}
        """);
    WorkflowFailedException e = failure(start("noretry", rb));
    assertThat(actions.callsOf("check")).hasSize(1);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .contains("step 'check'", "digest mismatch");
  }

  @Test
  void failingStepRunsFinallyStepsNewestFirstAndFailsTheRun() {
    actions.on(
        "verify",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("archive is empty", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook rb =
        parse(
            """
        name: saga
        steps:
          - id: down
            action: scale
            with: {name: ws, replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
          - id: archive
            action: backup
            with: {source: /data}
            finally:
              - id: tidy
                action: emit
                with: {text: "remove ${steps.archive.echo.source}"}
          - id: check
            action: verify
            with: {path: /a}
            finally:
              - id: report
                action: emit
                with: {text: "check failed"}
          - id: never
            action: emit
            with: {text: never}
        finally:
          - id: notify
            action: emit
            with: {text: done}
          - id: notify2
            action: emit
            with: {text: "done ${params.x}"}
        params:
          - name: x
            default: "!"
        """);
    RunbookWorkflow wf = start("saga-1", rb);
    WorkflowFailedException e = failure(wf);

    assertThat(e.getCause()).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure af = (ApplicationFailure) e.getCause();
    assertThat(af.getType()).isEqualTo("RunFailed");
    assertThat(af.getOriginalMessage()).isEqualTo("step 'check' failed: archive is empty");
    assertThat(actions.stepKeys())
        .containsExactly("down", "archive", "check", "report", "tidy", "up", "notify", "notify2");
    assertThat(actions.callsOf("tidy").get(0).args()).containsEntry("text", "remove /data");
    assertThat(actions.callsOf("up").get(0).args()).containsEntry("replicas", 1);

    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.FAILED);
    assertThat(p.error()).isEqualTo("step 'check' failed: archive is empty");
    assertThat(step(p, "check").state()).isEqualTo(StepState.FAILED);
    assertThat(step(p, "check").lastError()).isEqualTo("archive is empty");
    assertThat(step(p, "down").state()).isEqualTo(StepState.COMPENSATED);
    assertThat(step(p, "archive").state()).isEqualTo(StepState.COMPENSATED);
    assertThat(step(p, "never").state()).isEqualTo(StepState.SKIPPED);
    for (String f : List.of("up", "tidy", "report", "notify", "notify2")) {
      assertThat(step(p, f).state()).as(f).isEqualTo(StepState.SUCCEEDED);
      assertThat(step(p, f).phase()).as(f).isEqualTo("finally");
    }
  }

  @Test
  void finallyStepsOfASuccessfulRunLeaveStepsSucceeded() {
    Runbook rb =
        parse(
            """
        name: ok
        steps:
          - id: down
            action: scale
            with: {name: ws, replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
        finally:
          - id: notify
            action: emit
        """);
    RunbookWorkflow wf = start("ok-1", rb);
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("down", "up", "notify");
    RunProgress p = wf.progress();
    assertThat(step(p, "down").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "up").state()).isEqualTo(StepState.SUCCEEDED);
  }

  @Test
  void finallyStepWithUnresolvableReferenceIsSkipped() {
    actions.on(
        "backup",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("no space", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook rb =
        parse(
            """
        name: skip
        steps:
          - id: archive
            action: backup
            with: {source: /data}
        finally:
          - id: cleanup
            action: verify
            with: {path: "${steps.archive.path}"}
          - id: notify
            action: emit
            with: {text: bye}
        """);
    RunbookWorkflow wf = start("skip-1", rb);
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'archive' failed: no space");
    assertThat(actions.stepKeys()).containsExactly("archive", "notify");
    StepProgress cleanup = step(wf.progress(), "cleanup");
    assertThat(cleanup.state()).isEqualTo(StepState.SKIPPED);
    assertThat(cleanup.message())
        .contains("skipped", "${steps.archive.path}", "step 'archive' has no output");
  }

  @Test
  void cancelSignalStopsTheRunningActivityRunsFinallyAndEndsCanceled() throws Exception {
    CompletableFuture<Void> started = new CompletableFuture<>();
    actions.on(
        "slow",
        (args, call, ctx) ->
            PlayedActions.heartbeatUntilCanceled(ctx, () -> started.complete(null)));
    Runbook rb =
        parse(
            """
        name: long
        steps:
          - id: down
            action: scale
            with: {name: ws, replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
          - id: copy
            action: slow
          - id: never
            action: emit
        finally:
          - id: notify
            action: emit
        """);
    RunbookWorkflow wf = start("cancel-1", rb);
    started.get(20, TimeUnit.SECONDS);
    wf.cancel();

    WorkflowFailedException e = failure(wf);
    assertThat(e.getCause()).isInstanceOf(CanceledFailure.class);
    assertThat(actions.canceled()).containsExactly("copy");
    assertThat(actions.stepKeys()).containsExactly("down", "copy", "up", "notify");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.CANCELED);
    assertThat(p.error()).isEqualTo("canceled");
    assertThat(step(p, "copy").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "never").state()).isEqualTo(StepState.SKIPPED);
    assertThat(step(p, "up").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "down").state()).isEqualTo(StepState.COMPENSATED);
  }

  @Test
  void temporalCancelAlsoRunsFinally() throws Exception {
    CompletableFuture<Void> started = new CompletableFuture<>();
    actions.on(
        "slow",
        (args, call, ctx) ->
            PlayedActions.heartbeatUntilCanceled(ctx, () -> started.complete(null)));
    Runbook rb =
        parse(
            """
        name: long
        steps:
          - id: copy
            action: slow
            finally:
              - id: cleanup
                action: emit
        finally:
          - id: notify
            action: emit
        """);
    RunbookWorkflow wf = start("cancel-2", rb);
    started.get(20, TimeUnit.SECONDS);
    WorkflowStub.fromTyped(wf).cancel();

    WorkflowFailedException e = failure(wf);
    assertThat(e.getCause()).isInstanceOf(CanceledFailure.class);
    assertThat(actions.canceled()).containsExactly("copy");
    assertThat(actions.stepKeys()).containsExactly("copy", "cleanup", "notify");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.CANCELED);
    assertThat(step(p, "cleanup").state()).isEqualTo(StepState.SUCCEEDED);
  }

  @Test
  void cancelWhileWaitingForApprovalRunsFinally() throws Exception {
    Runbook rb =
        parse(
            """
        name: gated
        steps:
          - id: down
            action: scale
            with: {name: ws, replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
          - id: gate
            action: approval
            with: {message: "go?"}
        """);
    RunbookWorkflow wf = start("cancel-3", rb);
    awaitProgress(wf, p -> p.status() == RunStatus.WAITING_FOR_APPROVAL);
    wf.cancel();
    assertThat(failure(wf).getCause()).isInstanceOf(CanceledFailure.class);
    assertThat(actions.stepKeys()).containsExactly("down", "up");
    assertThat(step(wf.progress(), "gate").state()).isEqualTo(StepState.SKIPPED);
  }

  @Test
  void approvalStepWaitsForTheApproveSignal() throws Exception {
    Runbook rb =
        parse(
            """
        name: gated
        params:
          - name: host
            default: ws-1
        steps:
          - id: down
            action: scale
            with: {name: "${params.host}", replicas: 0}
          - id: gate
            action: approval
            with:
              message: "Check that ${params.host} is idle, then approve"
          - id: wipe
            action: emit
            with: {text: wipe}
        """);
    RunbookWorkflow wf = start("approve-1", rb);
    RunProgress waiting = awaitProgress(wf, p -> p.status() == RunStatus.WAITING_FOR_APPROVAL);
    assertThat(step(waiting, "gate").state()).isEqualTo(StepState.WAITING_FOR_APPROVAL);
    assertThat(step(waiting, "gate").message()).isEqualTo("Check that ws-1 is idle, then approve");
    assertThat(step(waiting, "wipe").state()).isEqualTo(StepState.PENDING);

    env.sleep(Duration.ofHours(1));
    assertThat(wf.progress().status()).isEqualTo(RunStatus.WAITING_FOR_APPROVAL);
    assertThat(actions.stepKeys()).containsExactly("down");

    wf.approve("gate");
    RunResult r = result(wf);
    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("down", "wipe");
    assertThat(r.outputs().get("gate")).isInstanceOf(Map.class);
    StepProgress gate = step(wf.progress(), "gate");
    assertThat(gate.state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(gate.message()).isEqualTo("approved");
  }

  @Test
  void approvalFieldGatesTheStepsOwnAction() throws Exception {
    Runbook rb =
        parse(
            """
        name: gated
        steps:
          - id: archive
            action: backup
            with: {source: /data}
          - id: wipe
            action: emit
            approval: "Wipe after ${steps.archive.echo.source} is backed up?"
            with: {text: wipe}
        """);
    RunbookWorkflow wf = start("approve-2", rb);
    RunProgress waiting = awaitProgress(wf, p -> p.status() == RunStatus.WAITING_FOR_APPROVAL);
    assertThat(step(waiting, "wipe").message()).isEqualTo("Wipe after /data is backed up?");
    assertThat(actions.stepKeys()).containsExactly("archive");
    wf.approve("someone-else");
    wf.approve("wipe");
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("archive", "wipe");
  }

  @Test
  void forEachRespectsParallelism() {
    AtomicInteger current = new AtomicInteger();
    AtomicInteger max = new AtomicInteger();
    actions.on(
        "backup",
        (args, call, ctx) -> {
          int now = current.incrementAndGet();
          max.accumulateAndGet(now, Math::max);
          try {
            // stay busy until a peer runs alongside (or 2 s pass), so the bound is really exercised
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (current.get() < 2 && System.nanoTime() < deadline) {
              Thread.sleep(10);
            }
            Thread.sleep(50);
          } finally {
            current.decrementAndGet();
          }
          return Map.of("path", "/a/" + args.get("source"));
        });
    Runbook rb =
        parse(
            """
        name: many
        params:
          - name: members
            type: list
            default: [m1, m2, m3, m4, m5]
        steps:
          - id: each
            action: backup
            forEach: ${params.members}
            parallelism: 2
            with: {source: "${item}"}
          - id: after
            action: emit
            with: {value: "${steps.each.succeeded}"}
        """);
    RunbookWorkflow wf = start("each-1", rb);
    RunResult r = result(wf);

    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(max.get()).isEqualTo(2);
    assertThat(actions.stepKeys())
        .filteredOn(k -> k.startsWith("each["))
        .containsExactlyInAnyOrder("each[m1]", "each[m2]", "each[m3]", "each[m4]", "each[m5]");
    assertThat(actions.callsOf("after").get(0).args()).containsEntry("value", 5);
    RunProgress p = wf.progress();
    assertThat(step(p, "each[m3]").output()).containsEntry("path", "/a/m3");
    assertThat(step(p, "each").state()).isEqualTo(StepState.SUCCEEDED);
  }

  private Runbook forEachWithOneBadItem(boolean continueOnError) {
    actions.on(
        "verify",
        (args, call, ctx) -> {
          if ("bad".equals(args.get("path"))) {
            throw ApplicationFailure.newFailure("corrupt archive", ActionFailureTypes.CHECK_FAILED);
          }
          return Map.of("ok", true);
        });
    return parse(
        """
        name: many
        params:
          - name: archives
            type: list
            default: [good1, bad, good2]
        steps:
          - id: each
            action: verify
            forEach: ${params.archives}
            continueOnError: %s
            with: {path: "${item}"}
          - id: after
            action: emit
            with: {value: "${steps.each.failed}"}
        """
            .formatted(continueOnError));
  }

  @Test
  void forEachWithContinueOnErrorFinishesOtherItemsAndTheRun() {
    RunbookWorkflow wf = start("each-2", forEachWithOneBadItem(true));
    RunResult r = result(wf);
    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys())
        .containsExactly("each[good1]", "each[bad]", "each[good2]", "after");
    assertThat(actions.callsOf("after").get(0).args()).containsEntry("value", 1);
    RunProgress p = wf.progress();
    assertThat(step(p, "each[bad]").state()).isEqualTo(StepState.FAILED);
    assertThat(step(p, "each[bad]").lastError()).isEqualTo("corrupt archive");
    assertThat(step(p, "each[good2]").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "each").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "each").message()).isEqualTo("1 of 3 failed");
  }

  @Test
  void forEachWithoutContinueOnErrorStillRunsOtherItemsThenFails() {
    RunbookWorkflow wf = start("each-3", forEachWithOneBadItem(false));
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'each' failed: each[bad]: corrupt archive");
    assertThat(actions.stepKeys()).containsExactly("each[good1]", "each[bad]", "each[good2]");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.FAILED);
    assertThat(step(p, "each").state()).isEqualTo(StepState.FAILED);
    assertThat(step(p, "each").lastError()).isEqualTo("1 of 3 failed");
    assertThat(step(p, "each[good2]").state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(step(p, "after").state()).isEqualTo(StepState.SKIPPED);
  }

  @Test
  void forEachItemFinallyRunsPerItem() {
    actions.on(
        "backup",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("boom", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook rb =
        parse(
            """
        name: many
        params:
          - name: workloads
            type: list
            default: [ws1, ws2]
        steps:
          - id: down
            action: scale
            forEach: ${params.workloads}
            with: {name: "${item}", replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: "${item}", replicas: 1}
          - id: archive
            action: backup
            with: {source: /data}
        """);
    RunbookWorkflow wf = start("each-4", rb);
    failure(wf);
    assertThat(actions.stepKeys())
        .containsExactly("down[ws1]", "down[ws2]", "archive", "up[ws2]", "up[ws1]");
    assertThat(actions.callsOf("up[ws1]").get(0).args())
        .isEqualTo(Map.of("name", "ws1", "replicas", 1));
    RunProgress p = wf.progress();
    assertThat(step(p, "down[ws1]").state()).isEqualTo(StepState.COMPENSATED);
  }

  @Test
  void childRunbookRunsFromTheLibrary() {
    actions.on("backup", (args, call, ctx) -> Map.of("path", "/a/" + args.get("source")));
    Runbook child =
        loader.parse(
            """
        name: archive-one
        params:
          - name: source
            required: true
        steps:
          - id: archive
            action: backup
            with: {source: "${params.source}"}
        """,
            "archive-one.yaml");
    Runbook parent =
        parse(
            """
        name: parent
        steps:
          - id: sub
            action: runbook
            with:
              name: archive-one
              params: {source: home}
          - id: check
            action: verify
            with: {path: "${steps.sub.steps.archive.path}"}
        """);
    RunbookWorkflow wf = start("parent-1", parent, Map.of(), Map.of("archive-one", child));
    RunResult r = result(wf);
    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.callsOf("archive").get(0).runId()).isEqualTo("parent-1/sub");
    assertThat(actions.callsOf("check").get(0).args()).containsEntry("path", "/a/home");
    @SuppressWarnings("unchecked")
    Map<String, Object> sub = (Map<String, Object>) r.outputs().get("sub");
    assertThat(sub).containsEntry("runId", "parent-1/sub");
    RunProgress childProgress =
        client.newWorkflowStub(RunbookWorkflow.class, "parent-1/sub").progress();
    assertThat(childProgress.runbook()).isEqualTo("archive-one");
    assertThat(childProgress.status()).isEqualTo(RunStatus.COMPLETED);
  }

  /**
   * A backup that could not read some files succeeds (its archive is good for what it holds) and
   * says so as the step's warning; the run completes with it, and so does a parent run.
   */
  @Test
  void aStepsWarningStaysOnTheStepAndReachesTheRunAndItsParent() {
    String text = "1 entry could not be read and is NOT in 20260101T000000Z.tar.gz, e.g. x: denied";
    actions.on(
        "backup",
        (args, call, ctx) ->
            Map.of(
                "path",
                "/a/" + args.get("source"),
                LiveProgress.OUTPUT_KEY,
                Map.of("message", "archived 3 files", "warning", text)));
    Runbook child =
        loader.parse(
            """
        name: archive-one
        steps:
          - id: archive
            action: backup
            with: {source: home}
        """,
            "archive-one.yaml");
    Runbook parent =
        parse(
            """
        name: parent
        notify:
          on: [completion]
          url: https://hooks.example/lifeboat
        steps:
          - id: sub
            action: runbook
            with: {name: archive-one}
          - id: own
            action: backup
            with: {source: notes}
          - id: check
            action: verify
            with: {path: "${steps.own.path}"}
        """);
    RunbookWorkflow wf = start("parent-w", parent, Map.of(), Map.of("archive-one", child));
    RunResult r = result(wf);
    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(r.warnings())
        .containsExactly("sub: run parent-w/sub: archive: " + text, "own: " + text);
    // whoever hears of the completion hears of the warnings too
    assertThat(actions.callsOf("notify").get(0).args())
        .containsEntry(
            "message",
            "all steps done, with warnings: "
                + String.join("; ", r.warnings())
                + " (run parent-w)");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.COMPLETED);
    StepProgress own = step(p, "own");
    assertThat(own.state()).isEqualTo(StepState.SUCCEEDED);
    assertThat(own.warning()).isEqualTo(text);
    assertThat(own.message()).isEqualTo("archived 3 files");
    assertThat(own.output()).doesNotContainKey(LiveProgress.OUTPUT_KEY);
    assertThat(step(p, "sub").warning()).isEqualTo("run parent-w/sub: archive: " + text);
    assertThat(step(p, "check").warning()).isNull();
    RunProgress childProgress =
        client.newWorkflowStub(RunbookWorkflow.class, "parent-w/sub").progress();
    assertThat(step(childProgress, "archive").warning()).isEqualTo(text);
  }

  @Test
  void failingChildRunbookFailsTheParentStepAndRunsFinally() {
    actions.on(
        "backup",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("no space", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook child =
        loader.parse(
            """
        name: archive-one
        steps:
          - id: archive
            action: backup
            with: {source: /x}
        """,
            "archive-one.yaml");
    Runbook parent =
        parse(
            """
        name: parent
        steps:
          - id: sub
            action: runbook
            with: {name: archive-one}
            finally:
              - id: tidy
                action: emit
        """);
    RunbookWorkflow wf = start("parent-2", parent, Map.of(), Map.of("archive-one", child));
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'sub' failed: step 'archive' failed: no space");
    assertThat(actions.stepKeys()).containsExactly("archive", "tidy");
  }

  @Test
  void unknownChildRunbookFailsTheStepAndStillRunsFinally() {
    Runbook parent =
        parse(
            """
        name: parent
        steps:
          - id: sub
            action: runbook
            with: {name: missing}
            finally:
              - id: tidy
                action: emit
        """);
    RunbookWorkflow wf = start("parent-3", parent);
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'sub' failed: no runbook named 'missing' is available");
    assertThat(actions.stepKeys()).containsExactly("tidy");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.FAILED);
    assertThat(step(p, "sub").lastError()).isEqualTo("no runbook named 'missing' is available");
  }

  @Test
  void reportProgressIsVisibleInTheProgressQuery() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    actions.on(
        "backup",
        (args, call, ctx) -> {
          RunbookWorkflow run =
              ctx.getWorkflowClient().newWorkflowStub(RunbookWorkflow.class, call.runId());
          run.reportProgress(
              new ProgressReport(
                  call.stepKey(), 1, 512, 1024, 3, "copying", List.of("a.txt", "b.txt")));
          run.reportProgress(
              new ProgressReport(call.stepKey(), 1, 1024, 1024, 5, null, List.of("c.txt")));
          run.reportProgress(new ProgressReport("no-such-step", 1, 1, 1, 1, "ignored", List.of()));
          ctx.heartbeat(null);
          if (!release.await(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("test never released the activity");
          }
          return Map.of("path", "/a");
        });
    Runbook rb =
        parse(
            """
        name: progress
        steps:
          - id: archive
            action: backup
            with: {source: /data}
        """);
    RunbookWorkflow wf = start("progress-1", rb);
    RunProgress live = awaitProgress(wf, p -> step(p, "archive").filesDone() == 5);
    StepProgress s = step(live, "archive");
    assertThat(live.status()).isEqualTo(RunStatus.RUNNING);
    assertThat(s.state()).isEqualTo(StepState.RUNNING);
    assertThat(s.bytesDone()).isEqualTo(1024);
    assertThat(s.bytesTotal()).isEqualTo(1024);
    assertThat(s.message()).isEqualTo("copying");
    assertThat(s.log()).containsExactly("a.txt", "b.txt", "c.txt");
    assertThat(live.steps()).extracting(StepProgress::id).containsExactly("archive");
    release.countDown();
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(step(wf.progress(), "archive").bytesDone()).isEqualTo(1024);
  }

  @Test
  void invalidParametersFailTheRunBeforeAnyStep() {
    Runbook rb =
        parse(
            """
        name: strict
        params:
          - name: keep
            type: integer
        steps:
          - id: a
            action: emit
        """);
    RunbookWorkflow wf = start("params-1", rb, Map.of("keep", "lots"), Map.of());
    WorkflowFailedException e = failure(wf);
    ApplicationFailure af = (ApplicationFailure) e.getCause();
    assertThat(af.getType()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT);
    assertThat(af.getOriginalMessage()).isEqualTo("parameter 'keep': 'lots' is not an integer");
    assertThat(actions.calls()).isEmpty();
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.FAILED);
    assertThat(p.error()).isEqualTo("parameter 'keep': 'lots' is not an integer");
  }

  @Test
  void failingFinallyStepFailsAnOtherwiseSuccessfulRunAndOtherFinallyStepsStillRun() {
    actions.on(
        "scale",
        (args, call, ctx) -> {
          if (Integer.valueOf(1).equals(args.get("replicas"))) {
            throw ApplicationFailure.newFailure("quota exceeded", ActionFailureTypes.CHECK_FAILED);
          }
          return Map.of();
        });
    Runbook rb =
        parse(
            """
        name: cleanup
        steps:
          - id: down
            action: scale
            with: {name: ws, replicas: 0}
            finally:
              - id: up
                action: scale
                with: {name: ws, replicas: 1}
        finally:
          - id: notify
            action: emit
        """);
    RunbookWorkflow wf = start("cleanup-1", rb);
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("cleanup failed: up: quota exceeded");
    assertThat(actions.stepKeys()).containsExactly("down", "up", "notify");
    RunProgress p = wf.progress();
    assertThat(p.status()).isEqualTo(RunStatus.FAILED);
    assertThat(step(p, "up").state()).isEqualTo(StepState.FAILED);
    assertThat(step(p, "up").lastError()).isEqualTo("quota exceeded");
    assertThat(step(p, "notify").state()).isEqualTo(StepState.SUCCEEDED);
  }

  @Test
  void continueOnErrorStepLetsTheRunGoOn() {
    actions.on(
        "verify",
        (args, call, ctx) -> {
          throw ApplicationFailure.newFailure("stale", ActionFailureTypes.CHECK_FAILED);
        });
    Runbook rb =
        parse(
            """
        name: lenient
        steps:
          - id: check
            action: verify
            continueOnError: true
            with: {path: /a}
          - id: next
            action: emit
        """);
    RunbookWorkflow wf = start("lenient-1", rb);
    RunResult r = result(wf);
    assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("check", "next");
    RunProgress p = wf.progress();
    assertThat(step(p, "check").state()).isEqualTo(StepState.FAILED);
    assertThat(step(p, "check").lastError()).isEqualTo("stale");
    assertThat(step(p, "next").state()).isEqualTo(StepState.SUCCEEDED);
  }

  @Test
  void missingOutputFieldFailsTheStepThatNeedsIt() {
    actions.on("backup", (args, call, ctx) -> Map.of("size", 1));
    Runbook rb =
        parse(
            """
        name: missing
        steps:
          - id: archive
            action: backup
            with: {source: /data}
          - id: check
            action: verify
            with: {path: "${steps.archive.path}"}
        """);
    RunbookWorkflow wf = start("missing-1", rb);
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo(
            "step 'check' failed: ${steps.archive.path} cannot be resolved: 'path' is not there");
    assertThat(actions.stepKeys()).containsExactly("archive");
    assertThat(step(wf.progress(), "check").state()).isEqualTo(StepState.FAILED);
  }

  @Test
  void forEachOverSomethingThatIsNotAListFailsTheStep() {
    Runbook rb =
        parse(
            """
        name: notalist
        params:
          - name: host
            default: ws-1
        steps:
          - id: each
            action: verify
            forEach: ${params.host}
            with: {path: "${item}"}
        """);
    RunbookWorkflow wf = start("notalist-1", rb);
    WorkflowFailedException e = failure(wf);
    assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
        .isEqualTo("step 'each' failed: forEach must give a list, got ws-1");
    assertThat(actions.calls()).isEmpty();
  }

  @Test
  void forEachItemsWithTheSameLabelAreTrackedSeparately() {
    Runbook rb =
        parse(
            """
        name: dupes
        params:
          - name: members
            type: list
            default: [a, b, a]
        steps:
          - id: each
            action: verify
            forEach: ${params.members}
            with: {path: "${item}"}
        """);
    RunbookWorkflow wf = start("dupes-1", rb);
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.calls()).hasSize(3);
    assertThat(actions.stepKeys()).containsExactly("each[a]", "each[b]", "each[a#2]");
    RunProgress p = wf.progress();
    assertThat(p.steps()).extracting(StepProgress::id).doesNotHaveDuplicates().hasSize(4);
  }

  @Test
  void forEachItemApprovalAcceptsTheItemKey() throws Exception {
    Runbook rb =
        parse(
            """
        name: gated-each
        params:
          - name: members
            type: list
            default: [a, b]
        steps:
          - id: each
            action: verify
            forEach: ${params.members}
            parallelism: 2
            approval: "restore ${item}?"
            with: {path: "${item}"}
        """);
    RunbookWorkflow wf = start("gated-each-1", rb);
    RunProgress waiting =
        awaitProgress(
            wf,
            p ->
                p.steps().stream().filter(s -> s.state() == StepState.WAITING_FOR_APPROVAL).count()
                    == 2);
    assertThat(step(waiting, "each[b]").message()).isEqualTo("restore b?");
    wf.approve("each[b]");
    awaitProgress(wf, p -> step(p, "each[b]").state() == StepState.SUCCEEDED);
    assertThat(actions.stepKeys()).containsExactly("each[b]");
    assertThat(wf.progress().status()).isEqualTo(RunStatus.WAITING_FOR_APPROVAL);
    wf.approve("each[a]");
    assertThat(result(wf).status()).isEqualTo(RunStatus.COMPLETED);
    assertThat(actions.stepKeys()).containsExactly("each[b]", "each[a]");
  }

  /**
   * The test server does not skip time while an activity is running (tried: env.sleep past the 60 s
   * heartbeat timeout does not fire it), so this uses a 1 s step timeout in real time.
   */
  @Test
  void stuckActivityTimesOutWithTheStepTimeout() {
    CountDownLatch release = new CountDownLatch(1);
    actions.on(
        "backup",
        (args, call, ctx) -> {
          release.await(20, TimeUnit.SECONDS); // a stuck transfer
          return Map.of();
        });
    Runbook rb =
        parse(
            """
        name: stuck
        steps:
          - id: archive
            action: backup
            with: {source: /data}
            timeout: 1s
            retry: {maxAttempts: 1}
        """);
    RunbookWorkflow wf = start("stuck-1", rb);
    try {
      WorkflowFailedException e = failure(wf);
      assertThat(((ApplicationFailure) e.getCause()).getOriginalMessage())
          .isEqualTo("step 'archive' failed: timed out (start_to_close)");
      assertThat(step(wf.progress(), "archive").lastError())
          .isEqualTo("timed out (start_to_close)");
    } finally {
      release.countDown();
    }
  }

  @Test
  void cancelReachesAChildRunbookWhichRunsItsFinally() throws Exception {
    CompletableFuture<Void> started = new CompletableFuture<>();
    actions.on(
        "slow",
        (args, call, ctx) ->
            PlayedActions.heartbeatUntilCanceled(ctx, () -> started.complete(null)));
    Runbook child =
        loader.parse(
            """
        name: long-child
        steps:
          - id: copy
            action: slow
            finally:
              - id: child-tidy
                action: emit
        """,
            "long-child.yaml");
    Runbook parent =
        parse(
            """
        name: parent
        steps:
          - id: sub
            action: runbook
            with: {name: long-child}
            finally:
              - id: tidy
                action: emit
        """);
    RunbookWorkflow wf = start("parent-cancel", parent, Map.of(), Map.of("long-child", child));
    started.get(20, TimeUnit.SECONDS);
    wf.cancel();
    WorkflowFailedException e = failure(wf);
    assertThat(e.getCause()).isInstanceOf(CanceledFailure.class);
    assertThat(actions.canceled()).containsExactly("copy");
    assertThat(actions.stepKeys()).containsExactly("copy", "child-tidy", "tidy");
    assertThat(wf.progress().status()).isEqualTo(RunStatus.CANCELED);
    assertThat(
            client.newWorkflowStub(RunbookWorkflow.class, "parent-cancel/sub").progress().status())
        .isEqualTo(RunStatus.CANCELED);
  }

  @Test
  void staleProgressFromAnEarlierAttemptIsIgnored() {
    actions.on(
        "backup",
        (args, call, ctx) -> {
          RunbookWorkflow run =
              ctx.getWorkflowClient().newWorkflowStub(RunbookWorkflow.class, call.runId());
          run.reportProgress(new ProgressReport(call.stepKey(), 2, 200, 0, 2, "second", List.of()));
          run.reportProgress(new ProgressReport(call.stepKey(), 1, 100, 0, 1, "first", List.of()));
          return Map.of();
        });
    Runbook rb =
        parse(
            """
        name: stale
        steps:
          - id: archive
            action: backup
            with: {source: /data}
        """);
    RunbookWorkflow wf = start("stale-1", rb);
    result(wf);
    StepProgress s = step(wf.progress(), "archive");
    assertThat(s.attempt()).isEqualTo(2);
    assertThat(s.bytesDone()).isEqualTo(200);
    assertThat(s.message()).isEqualTo("second");
  }
}
