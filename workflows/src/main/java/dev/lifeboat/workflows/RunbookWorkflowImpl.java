package dev.lifeboat.workflows;

import dev.lifeboat.runbook.BuiltinActions;
import dev.lifeboat.runbook.Durations;
import dev.lifeboat.runbook.Expressions;
import dev.lifeboat.runbook.ParamBinder;
import dev.lifeboat.runbook.Reference;
import dev.lifeboat.runbook.RetrySpec;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.Step;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowSemaphore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Interprets a runbook. Finally steps are registered before the step that needs them runs (the saga
 * shape) and are run newest first in a detached scope, so a failed or cancelled run still cleans
 * up.
 */
public class RunbookWorkflowImpl implements RunbookWorkflow {
  static final Duration DEFAULT_TIMEOUT = Duration.ofHours(2);
  // actions heartbeat every 5 s; a dead worker's activity is retried elsewhere after this long
  static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(20);
  private static final int LOG_TAIL = 200;
  private static final int ATTEMPTS_KEPT = 50;
  static final String APPROVAL_WHILE_WAITING = "approval-while-waiting";

  private final Map<String, StepRecord> records = new LinkedHashMap<>();
  private final Map<String, Object> outputs = new LinkedHashMap<>();
  private final Deque<Finalizer> finalizers = new ArrayDeque<>();
  private final List<Approval> approvals = new ArrayList<>();
  private Runbook runbook;
  private Notifications notifications;
  private Map<String, Object> params = Map.of();
  private Map<String, Runbook> library = Map.of();
  private CancellationScope mainScope;
  private boolean cancelRequested;
  private RunStatus status = RunStatus.RUNNING;
  private String error;
  private long startedAt;
  private long endedAt;

  @Override
  public RunResult run(RunRequest request) {
    runbook = request.runbook();
    notifications = new Notifications(runbook);
    startedAt = Workflow.currentTimeMillis();
    try {
      params = new LinkedHashMap<>(ParamBinder.bind(runbook, request.params()));
    } catch (ParamBinder.InvalidParam e) {
      // the progress query must not keep saying RUNNING for a run that never started
      status = RunStatus.FAILED;
      error = e.getMessage();
      endedAt = startedAt;
      throw ApplicationFailure.newNonRetryableFailure(
          e.getMessage(), ActionFailureTypes.INVALID_ARGUMENT);
    }
    library = request.library();
    for (Step s : runbook.steps()) {
      record(s.id(), s, "main");
    }
    for (Step s : runbook.steps()) {
      for (Step f : s.finallySteps()) {
        record(f.id(), f, "finally");
      }
    }
    for (Step f : runbook.finallySteps()) {
      record(f.id(), f, "finally");
    }

    String failure = null;
    boolean canceled = false;
    mainScope =
        Workflow.newCancellationScope(
            () -> {
              for (int i = runbook.finallySteps().size() - 1; i >= 0; i--) {
                finalizers.push(new Finalizer(runbook.finallySteps().get(i), null, null));
              }
              for (Step step : runbook.steps()) {
                runStep(step);
              }
            });
    try {
      if (cancelRequested) {
        mainScope.cancel();
      }
      mainScope.run();
    } catch (StepFailed e) {
      failure = e.getMessage();
    } catch (CanceledFailure e) {
      canceled = true;
    } catch (ActivityFailure | ChildWorkflowFailure e) {
      if (isCancel(e)) {
        canceled = true;
      } else {
        failure = message(e);
      }
    }
    // a step interrupted by a cancel fails with "canceled"; the run as a whole was cancelled, not
    // failed
    if (cancelRequested
        || mainScope.isCancelRequested()
        || CancellationScope.current().isCancelRequested()) {
      canceled = true;
      failure = null;
    }
    boolean ok = failure == null && !canceled;

    List<String> cleanupErrors = new ArrayList<>();
    Workflow.newDetachedCancellationScope(() -> runFinalizers(cleanupErrors, ok)).run();
    for (StepRecord r : records.values()) {
      if (r.state == StepState.PENDING || r.state == StepState.WAITING_FOR_APPROVAL) {
        r.state = StepState.SKIPPED;
      }
      if (r.state == StepState.RUNNING) {
        r.state = canceled ? StepState.SKIPPED : StepState.FAILED;
        r.endedAt = Workflow.currentTimeMillis();
      }
    }
    endedAt = Workflow.currentTimeMillis();
    if (canceled) {
      status = RunStatus.CANCELED;
      error =
          "canceled"
              + (cleanupErrors.isEmpty()
                  ? ""
                  : "; cleanup failed: " + String.join("; ", cleanupErrors));
      notifyEnd("failure", RunStatus.CANCELED, error);
      // after Temporal's own cancel request Temporal records CANCELED; after our cancel signal it
      // records
      // a failure whose cause is this CanceledFailure, and the progress query says CANCELED
      throw new CanceledFailure(error);
    }
    if (failure != null || !cleanupErrors.isEmpty()) {
      status = RunStatus.FAILED;
      List<String> parts = new ArrayList<>();
      if (failure != null) {
        parts.add(failure);
      }
      if (!cleanupErrors.isEmpty()) {
        parts.add("cleanup failed: " + String.join("; ", cleanupErrors));
      }
      error = String.join("; ", parts);
      notifyEnd("failure", RunStatus.FAILED, error);
      throw ApplicationFailure.newNonRetryableFailure(error, "RunFailed");
    }
    List<String> warnings = warnings();
    notifyEnd(
        "completion",
        RunStatus.COMPLETED,
        warnings.isEmpty()
            ? "all steps done"
            : "all steps done, with warnings: " + String.join("; ", warnings));
    status = RunStatus.COMPLETED;
    return new RunResult(status, null, new LinkedHashMap<>(outputs), warnings);
  }

  /** "step: text" for each step that succeeded with a warning, in the order of the steps. */
  private List<String> warnings() {
    List<String> out = new ArrayList<>();
    for (StepRecord r : records.values()) {
      if (r.warning != null) {
        out.add(r.id + ": " + r.warning);
      }
    }
    return out;
  }

  /**
   * Tells the run's end to whoever the runbook names; the failed (or last) step keeps a line if
   * that fails.
   */
  private void notifyEnd(String event, RunStatus outcome, String text) {
    StepRecord about = null;
    for (StepRecord r : records.values()) {
      if (about == null
          || r.state == StepState.FAILED && about.state != StepState.FAILED
          || r.startedAt > 0 && about.state != StepState.FAILED && "main".equals(r.phase)) {
        about = r;
      }
    }
    String step = about != null && about.state == StepState.FAILED ? about.id : null;
    Notifications.note(about, notifications.send(event, outcome, step, text));
  }

  @Override
  public RunProgress progress() {
    List<StepProgress> steps = new ArrayList<>();
    boolean waiting = false;
    for (StepRecord r : records.values()) {
      steps.add(r.snapshot());
      waiting |= r.state == StepState.WAITING_FOR_APPROVAL;
    }
    RunStatus shown =
        status == RunStatus.RUNNING && waiting ? RunStatus.WAITING_FOR_APPROVAL : status;
    return new RunProgress(
        runbook == null ? null : runbook.name(), shown, startedAt, endedAt, error, steps);
  }

  @Override
  public void approve(String stepId) {
    // the old signal says only which step; it cannot satisfy a step that requires an approver group
    approveBy(new Approval(stepId, null, Workflow.currentTimeMillis(), null, null, List.of()));
  }

  @Override
  public void approveBy(Approval approval) {
    markApproved(approval);
    approvals.add(approval);
  }

  @Override
  public void checkApproval(Approval approval) {
    var refusal = ApprovalRefusal.check(stepsNow(), approval);
    if (refusal.isPresent()) {
      throw refusal.get().asFailure();
    }
  }

  @Override
  public Approval approveStep(Approval approval) {
    // checkApproval passed just before, in the same workflow task: the step waits and nobody
    // approved it yet
    approveBy(approval);
    return approval;
  }

  /**
   * Marks the waiting steps this approval satisfies at once, so a second approval arriving before
   * the run moves on is refused as "already approved" instead of both passing.
   */
  private void markApproved(Approval a) {
    for (StepRecord r : records.values()) {
      if (r.approvalStep
          && r.state == StepState.WAITING_FOR_APPROVAL
          && r.approval == null
          && ApprovalRefusal.names(a.stepId(), r.id)
          && (r.approvalGroup == null || a.groups().contains(r.approvalGroup))) {
        r.approval = a;
      }
    }
  }

  private List<StepProgress> stepsNow() {
    List<StepProgress> steps = new ArrayList<>();
    for (StepRecord r : records.values()) {
      steps.add(r.snapshot());
    }
    return steps;
  }

  @Override
  public void attemptFailed(AttemptFailure failure) {
    StepRecord r = records.get(failure.stepKey());
    if (r == null || r.attempts.stream().anyMatch(a -> a.attempt() == failure.attempt())) {
      return;
    }
    r.attempt = Math.max(r.attempt, failure.attempt());
    r.attempts.add(new Attempt(failure.attempt(), failure.error(), failure.at()));
    if (r.attempts.size() > ATTEMPTS_KEPT) {
      r.attempts.remove(0);
    }
    if (failure.log() != null) {
      r.addLog(failure.log());
    }
  }

  @Override
  public void cancel() {
    cancelRequested = true;
    if (mainScope != null) {
      mainScope.cancel("canceled by request");
    }
  }

  /**
   * Kept so runs started before progress moved into heartbeat details still replay; nothing sends
   * it now.
   */
  @Override
  public void reportProgress(ProgressReport report) {
    StepRecord r = records.get(report.stepKey());
    if (r == null || report.attempt() < r.attempt) {
      return;
    }
    r.attempt = report.attempt();
    r.bytesDone = report.bytesDone();
    r.bytesTotal = report.bytesTotal();
    r.filesDone = report.filesDone();
    if (report.message() != null) {
      r.message = report.message();
    }
    r.addLog(report.newLogLines());
  }

  private void runStep(Step step) {
    if (step.when() != null) {
      boolean run;
      try {
        run = conditionHolds(step, records.get(step.id()), null);
      } catch (Expressions.UnresolvedReference e) {
        String why = "when " + step.when() + ": " + e.getMessage();
        fail(records.get(step.id()), why);
        failOrContinue(step, step.id(), why, false);
        return;
      }
      if (!run) {
        return;
      }
    }
    if (step.forEach() == null) {
      runOne(step, step.id(), null, false);
      return;
    }
    StepRecord parent = records.get(step.id());
    parent.state = StepState.RUNNING;
    parent.startedAt = Workflow.currentTimeMillis();
    Object items;
    try {
      items = Reference.resolveAll(step.forEach(), scope(null));
    } catch (Expressions.UnresolvedReference e) {
      fail(parent, e.getMessage());
      throw new StepFailed(step.id(), e.getMessage());
    }
    if (!(items instanceof List<?> list)) {
      String why = "forEach must give a list, got " + items;
      fail(parent, why);
      throw new StepFailed(step.id(), why);
    }
    List<String> keys = new ArrayList<>();
    Map<String, Integer> seenLabels = new HashMap<>();
    for (Object item : list) {
      // two items with the same label (e.g. [a, b, a]) must not share one progress record
      String label = itemLabel(item);
      int n = seenLabels.merge(label, 1, Integer::sum);
      String key = step.id() + "[" + label + (n > 1 ? "#" + n : "") + "]";
      keys.add(key);
      record(key, step, "main");
    }
    WorkflowSemaphore permits = Workflow.newWorkflowSemaphore(step.parallelism());
    List<Promise<Void>> running = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Object item = list.get(i);
      String key = keys.get(i);
      running.add(
          Async.procedure(
              () -> {
                permits.acquire();
                try {
                  runOne(step, key, item, true);
                } catch (StepFailed e) {
                  // recorded on the item; judged below once every item has finished
                } finally {
                  permits.release();
                }
              }));
    }
    Promise.allOf(running).get();
    List<Map<String, Object>> results = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      StepRecord r = records.get(keys.get(i));
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("item", list.get(i));
      one.put("state", r.state.name());
      if (r.output != null) {
        one.put("output", r.output);
      }
      if (r.lastError != null) {
        one.put("error", r.lastError);
        failed.add(keys.get(i) + ": " + r.lastError);
      }
      results.add(one);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", results);
    out.put("succeeded", list.size() - failed.size());
    out.put("failed", failed.size());
    outputs.put(step.id(), out);
    parent.output = out;
    parent.endedAt = Workflow.currentTimeMillis();
    if (!failed.isEmpty() && !step.continueOnError()) {
      parent.state = StepState.FAILED;
      parent.lastError = failed.size() + " of " + list.size() + " failed";
      throw new StepFailed(step.id(), String.join("; ", failed));
    }
    parent.state = StepState.SUCCEEDED;
    if (!failed.isEmpty()) {
      parent.message = failed.size() + " of " + list.size() + " failed";
    }
  }

  /** Runs one step (or one forEach item); throws StepFailed unless the step may fail quietly. */
  private void runOne(Step step, String key, Object item, boolean isItem) {
    StepRecord r = records.get(key);
    for (int i = step.finallySteps().size() - 1; i >= 0; i--) {
      finalizers.push(new Finalizer(step.finallySteps().get(i), key, item));
    }
    r.startedAt = Workflow.currentTimeMillis();
    try {
      if (step.approval() != null) {
        Object text = Reference.resolveAll(step.approval(), scope(item));
        awaitApproval(step.id(), key, r, String.valueOf(text), step.approvalGroup());
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> args =
          (Map<String, Object>) Reference.resolveAll(step.with(), scope(item));
      args.values().removeIf(v -> v == null);
      r.state = StepState.RUNNING;
      Map<String, Object> out = execute(step, key, r, args);
      r.output = out;
      r.state = StepState.SUCCEEDED;
      r.endedAt = Workflow.currentTimeMillis();
      if (!isItem) {
        outputs.put(step.id(), out);
      }
    } catch (Expressions.UnresolvedReference e) {
      fail(r, e.getMessage());
      failOrContinue(step, key, e.getMessage(), isItem);
    } catch (ActivityFailure | ChildWorkflowFailure | ApplicationFailure e) {
      // ApplicationFailure: raised by the workflow itself for a built-in action (unknown child
      // runbook, bad child parameters); it must fail the step, not the whole run past its finally
      // steps
      if (isCancel(e)) {
        throw e;
      }
      fail(r, message(e));
      noteFinalAttempt(r, e);
      failOrContinue(step, key, message(e), isItem);
    }
  }

  /**
   * Activities report each failed attempt themselves; one that timed out or whose worker died could
   * not, so the final failure is added here unless it is already the last one listed.
   */
  private static void noteFinalAttempt(StepRecord r, TemporalFailure e) {
    if (!(e instanceof ActivityFailure)) {
      return;
    }
    String why = message(e);
    if (r.attempts.isEmpty() || !why.equals(r.attempts.get(r.attempts.size() - 1).error())) {
      int n =
          r.attempts.isEmpty()
              ? Math.max(r.attempt, 1)
              : r.attempts.get(r.attempts.size() - 1).attempt() + 1;
      r.attempts.add(new Attempt(n, why, Workflow.currentTimeMillis()));
    }
  }

  private void failOrContinue(Step step, String key, String why, boolean isItem) {
    if (isItem || !step.continueOnError()) {
      throw new StepFailed(key, why);
    }
  }

  private Map<String, Object> execute(
      Step step, String key, StepRecord r, Map<String, Object> args) {
    if (BuiltinActions.APPROVAL.equals(step.action())) {
      String group =
          args.get("group") == null ? step.approvalGroup() : String.valueOf(args.get("group"));
      Approval a = awaitApproval(step.id(), key, r, String.valueOf(args.get("message")), group);
      r.state = StepState.RUNNING;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("approvedAt", Workflow.currentTimeMillis());
      if (a.by() != null) {
        out.put("approvedBy", a.by());
      }
      return out;
    }
    if (BuiltinActions.RUNBOOK.equals(step.action())) {
      return runChild(key, r, args);
    }
    ActivityOptions options =
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(
                step.timeout() == null ? DEFAULT_TIMEOUT : Durations.parse(step.timeout()))
            .setHeartbeatTimeout(HEARTBEAT_TIMEOUT)
            .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
            .setRetryOptions(retry(step.retry()))
            .setSummary(activitySummary(key, step.action(), args))
            .build();
    r.attempt = Math.max(r.attempt, 1);
    StepCall call = new StepCall(Workflow.getInfo().getWorkflowId(), runbook.name(), key);
    @SuppressWarnings("unchecked")
    Map<String, Object> out =
        Workflow.newUntypedActivityStub(options).execute(step.action(), Map.class, args, call);
    return StepOutput.keepLive(out, r);
  }

  private Map<String, Object> runChild(String key, StepRecord r, Map<String, Object> args) {
    String name = String.valueOf(args.get("name"));
    Runbook child = library.get(name);
    if (child == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no runbook named '" + name + "' is available", "InvalidArgument");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> childParams =
        args.get("params") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    String childId = Workflow.getInfo().getWorkflowId() + "/" + key;
    RunbookWorkflow stub =
        Workflow.newChildWorkflowStub(
            RunbookWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(childId)
                .setMemo(Map.of("runbook", name))
                .setStaticSummary("runbook " + name + " (step " + key + ")")
                .build());
    try {
      RunResult result =
          stub.run(new RunRequest(child, ParamBinder.bind(child, childParams), library));
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("runId", childId);
      out.put("steps", result.outputs());
      if (result.warnings() != null && !result.warnings().isEmpty()) {
        // a child's incomplete backup must not look whole one level up either
        r.warning = "run " + childId + ": " + String.join("; ", result.warnings());
      }
      return out;
    } catch (ParamBinder.InvalidParam e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), "InvalidArgument");
    }
  }

  /**
   * What the Temporal UI shows for a step's activity, e.g. "archive: backup tier1/notebooks". Built
   * from the step and its resolved arguments only, so replay gives the same text.
   */
  static String activitySummary(String key, String action, Map<String, Object> args) {
    StringBuilder s = new StringBuilder(key).append(": ").append(action);
    Object set = args.get("set");
    Object source = args.get("source");
    if (set != null && source != null) {
      s.append(' ').append(set).append('/').append(source);
    } else if (source != null) {
      s.append(' ').append(source);
    } else if (args.get("path") != null) {
      s.append(' ').append(args.get("path"));
    }
    return s.length() > 200 ? s.substring(0, 200) : s.toString();
  }

  private Approval awaitApproval(
      String stepId, String key, StepRecord r, String message, String group) {
    // Only an approval sent while the step waits counts: one sent earlier (the step still PENDING)
    // is not kept for later, or a gate would pass with nobody looking when the run gets there.
    // Runs that waited here before this rule took approvals sent at any time, and replay so.
    int since =
        Workflow.getVersion(APPROVAL_WHILE_WAITING, Workflow.DEFAULT_VERSION, 1)
                == Workflow.DEFAULT_VERSION
            ? 0
            : approvals.size();
    // user metadata for the Temporal UI: no command, so replay is unaffected
    Workflow.setCurrentDetails("approval: " + message + " (step " + key + " waits for a human)");
    r.state = StepState.WAITING_FOR_APPROVAL;
    r.message = message;
    r.approvalGroup = group;
    Notifications.note(
        r, notifications.send("approval", RunStatus.WAITING_FOR_APPROVAL, key, message));
    Approval[] accepted = new Approval[1];
    int[] seen = {since};
    Workflow.await(
        () -> {
          for (; seen[0] < approvals.size(); seen[0]++) {
            Approval a = approvals.get(seen[0]);
            if (!ApprovalRefusal.names(a.stepId(), key) && !stepId.equals(a.stepId())) {
              continue;
            }
            if (group != null && !a.groups().contains(group)) {
              // the API refuses these already; a signal sent around it is logged and ignored
              r.log.add(
                  "approval by "
                      + (a.by() == null ? "an unnamed approver" : a.by())
                      + " ignored: not in approver group '"
                      + group
                      + "'");
              continue;
            }
            accepted[0] = a;
            return true;
          }
          return false;
        });
    r.approval = accepted[0];
    r.message = "approved" + (accepted[0].by() == null ? "" : " by " + accepted[0].by());
    Workflow.setCurrentDetails("approval: " + message + " (" + r.message + ")");
    return accepted[0];
  }

  private void runFinalizers(List<String> errors, boolean runSucceeded) {
    while (!finalizers.isEmpty()) {
      Finalizer f = finalizers.pop();
      String key =
          f.owner() != null && f.owner().contains("[")
              ? f.step().id() + f.owner().substring(f.owner().indexOf('['))
              : f.step().id();
      StepRecord r = records.containsKey(key) ? records.get(key) : record(key, f.step(), "finally");
      r.startedAt = Workflow.currentTimeMillis();
      try {
        if (f.step().when() != null && !conditionHolds(f.step(), r, f.item())) {
          continue;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> args =
            (Map<String, Object>) Reference.resolveAll(f.step().with(), scope(f.item()));
        args.values().removeIf(v -> v == null);
        r.state = StepState.RUNNING;
        r.output = execute(f.step(), key, r, args);
        r.state = StepState.SUCCEEDED;
        if (f.owner() != null && !runSucceeded) {
          StepRecord owner = records.get(f.owner());
          if (owner != null && owner.state == StepState.SUCCEEDED) {
            owner.state = StepState.COMPENSATED;
          }
        }
      } catch (Expressions.UnresolvedReference e) {
        r.state = StepState.SKIPPED;
        r.message = "skipped: " + e.getMessage();
      } catch (ActivityFailure | ChildWorkflowFailure | ApplicationFailure e) {
        fail(r, message(e));
        noteFinalAttempt(r, e);
        errors.add(key + ": " + message(e));
      }
      r.endedAt = Workflow.currentTimeMillis();
    }
  }

  /**
   * Decides a step's {@code when}. False marks the step SKIPPED and says why; so does a condition
   * on the output of a step that was itself skipped (a branch not taken). Any other unresolvable
   * reference is thrown: a misspelt field must not silently skip a recovery step.
   */
  private boolean conditionHolds(Step step, StepRecord r, Object item) {
    Object value;
    try {
      value = Reference.resolveAll(step.when(), scope(item));
    } catch (Expressions.UnresolvedReference e) {
      Reference ref = Reference.tryParse(e.path()).orElse(null);
      StepRecord referenced =
          ref != null && ref.root() == Reference.Root.STEPS ? records.get(ref.name()) : null;
      if (referenced == null || referenced.state != StepState.SKIPPED) {
        throw e;
      }
      skip(r, "skipped: " + step.when() + " has no value (step '" + ref.name() + "' was skipped)");
      return false;
    }
    if (isTrue(value)) {
      return true;
    }
    skip(r, "skipped: " + step.when() + " is false");
    return false;
  }

  /**
   * true, "true", and any other non-empty value except "false"; null, false, "" and empty lists are
   * false.
   */
  static boolean isTrue(Object value) {
    if (value == null) {
      return false;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof java.util.Collection<?> c) {
      return !c.isEmpty();
    }
    if (value instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    String text = String.valueOf(value).trim();
    return !text.isEmpty() && !text.equalsIgnoreCase("false");
  }

  private static void skip(StepRecord r, String why) {
    long now = Workflow.currentTimeMillis();
    r.state = StepState.SKIPPED;
    r.message = why;
    if (r.startedAt == 0) {
      r.startedAt = now;
    }
    r.endedAt = now;
  }

  /** What a reference sees at this point of the run ({@code item}: the forEach element or null). */
  private Reference.Scope scope(Object item) {
    return new Reference.Scope(
        runbook,
        params,
        outputs,
        item,
        Map.of("id", Workflow.getInfo().getWorkflowId(), "startedAt", startedAt));
  }

  private static RetryOptions retry(RetrySpec spec) {
    RetryOptions.Builder b =
        RetryOptions.newBuilder()
            .setMaximumAttempts(3)
            .setInitialInterval(Duration.ofSeconds(2))
            .setBackoffCoefficient(2.0)
            .setMaximumInterval(Duration.ofMinutes(5))
            .setDoNotRetry(ActionFailureTypes.INVALID_ARGUMENT, ActionFailureTypes.CHECK_FAILED);
    if (spec != null) {
      if (spec.maxAttempts() != null) {
        b.setMaximumAttempts(spec.maxAttempts());
      }
      if (spec.initialInterval() != null) {
        b.setInitialInterval(Durations.parse(spec.initialInterval()));
      }
      if (spec.backoff() != null) {
        b.setBackoffCoefficient(spec.backoff());
      }
    }
    return b.build();
  }

  private StepRecord record(String key, Step step, String phase) {
    boolean gate = step.approval() != null || BuiltinActions.APPROVAL.equals(step.action());
    return records.computeIfAbsent(key, k -> new StepRecord(k, step.action(), phase, gate));
  }

  private static void fail(StepRecord r, String why) {
    r.state = StepState.FAILED;
    r.lastError = why;
    r.endedAt = Workflow.currentTimeMillis();
  }

  private static boolean isCancel(TemporalFailure e) {
    Throwable t = e;
    while (t != null) {
      if (t instanceof CanceledFailure) {
        return true;
      }
      t = t.getCause();
    }
    return false;
  }

  /** The innermost message: what the action said, not Temporal's wrapping. */
  static String message(Throwable e) {
    Throwable t = e;
    String msg = e.getMessage();
    while (t != null) {
      if (t instanceof ApplicationFailure af) {
        msg = af.getOriginalMessage();
      } else if (t instanceof io.temporal.failure.TimeoutFailure tf) {
        msg =
            "timed out ("
                + tf.getTimeoutType().name().replace("TIMEOUT_TYPE_", "").toLowerCase()
                + ")";
      }
      t = t.getCause();
    }
    return msg;
  }

  private static String itemLabel(Object item) {
    if (item instanceof Map<?, ?> m) {
      for (String k : List.of("name", "id", "member")) {
        if (m.get(k) != null) {
          return String.valueOf(m.get(k));
        }
      }
    }
    return String.valueOf(item);
  }

  private record Finalizer(Step step, String owner, Object item) {}

  /** A step that failed, so the run stops here. */
  static final class StepFailed extends RuntimeException {
    StepFailed(String key, String why) {
      super("step '" + key + "' failed: " + why);
    }
  }

  static final class StepRecord {
    final String id;
    final String action;
    final String phase;
    StepState state = StepState.PENDING;
    long startedAt;
    long endedAt;
    int attempt;
    String lastError;
    String message;
    String warning;
    long bytesDone;
    long bytesTotal;
    long filesDone;
    Map<String, Object> output;
    final List<String> log = new ArrayList<>();
    final List<Attempt> attempts = new ArrayList<>();
    Approval approval;
    String approvalGroup;
    final boolean approvalStep;

    StepRecord(String id, String action, String phase, boolean approvalStep) {
      this.id = id;
      this.action = action;
      this.phase = phase;
      this.approvalStep = approvalStep;
    }

    void addLog(List<String> lines) {
      for (String line : lines) {
        log.add(line);
        if (log.size() > LOG_TAIL) {
          log.remove(0);
        }
      }
    }

    StepProgress snapshot() {
      return new StepProgress(
          id,
          action,
          phase,
          state,
          startedAt,
          endedAt,
          attempt,
          lastError,
          message,
          warning,
          bytesDone,
          bytesTotal,
          filesDone,
          output,
          List.copyOf(log),
          List.copyOf(attempts),
          approval,
          approvalGroup,
          approvalStep);
    }
  }
}
