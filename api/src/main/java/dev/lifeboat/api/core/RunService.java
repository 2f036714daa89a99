package dev.lifeboat.api.core;

import dev.lifeboat.runbook.ArgRules;
import dev.lifeboat.runbook.ParamBinder;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.workflows.Approval;
import dev.lifeboat.workflows.ApprovalRefusal;
import dev.lifeboat.workflows.RunProgress;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.RunbookWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Starts runs and reads their state from Temporal. */
public final class RunService {
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final String WORKFLOW_TYPE = "RunbookWorkflow";
  private static final int LIST_LIMIT = 200;

  private final WorkflowClient client;
  private final RunbookCatalog catalog;
  private final TemporalInfo temporal;
  private final CompletedWarnings warnings;
  private volatile boolean visibilityQueries = true;

  public RunService(WorkflowClient client, RunbookCatalog catalog) {
    this(client, catalog, null);
  }

  /**
   * @param temporal where runs show in the Temporal UI; null: no UI links
   */
  public RunService(WorkflowClient client, RunbookCatalog catalog, TemporalInfo temporal) {
    this.client = client;
    this.catalog = catalog;
    this.temporal = temporal;
    this.warnings = new CompletedWarnings(client);
  }

  /**
   * True when runs live only in memory (the embedded test server): a run id Temporal does not know
   * may then be a run a restart forgot. A durable Temporal forgets nothing but by its retention.
   */
  public boolean forgetsRuns() {
    return temporal == null || !temporal.durable();
  }

  /** The run's page in the Temporal UI, when the UI's address is known. */
  public Optional<String> temporalPage(String id) {
    return temporal == null ? Optional.empty() : temporal.workflowPage(id);
  }

  /** A run as the API shows it. */
  public record RunSummary(
      String id,
      String runbook,
      RunStatus status,
      long startedAt,
      long endedAt,
      String parent,
      List<Map<String, String>> warnings) {
    RunSummary(
        String id, String runbook, RunStatus status, long startedAt, long endedAt, String parent) {
      this(id, runbook, status, startedAt, endedAt, parent, List.of());
    }
  }

  /**
   * Starts a run. Throws {@link ParamBinder.InvalidParam} for bad parameters, including values an
   * action argument they flow into would refuse, so nothing starts.
   */
  public String start(Runbook runbook, Map<String, Object> params) {
    RunRequest request = request(runbook, params);
    Instant now = Instant.now();
    for (int attempt = 0; ; attempt++) {
      String id = runbook.name() + "@" + ID_TIME.format(now) + (attempt == 0 ? "" : "-" + attempt);
      RunbookWorkflow stub =
          client.newWorkflowStub(
              RunbookWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(id)
                  .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                  .setMemo(Map.of("runbook", runbook.name()))
                  .setStaticSummary(summary(runbook))
                  .build());
      try {
        WorkflowClient.start(stub::run, request);
        return id;
      } catch (WorkflowExecutionAlreadyStarted e) {
        if (attempt > 20) {
          throw e;
        }
      }
    }
  }

  /** What the Temporal UI shows for the run: the runbook and what it is for. */
  static String summary(Runbook runbook) {
    String d = runbook.description() == null ? "" : runbook.description().strip();
    return d.isEmpty() ? "runbook " + runbook.name() : "runbook " + runbook.name() + ": " + d;
  }

  /**
   * The workflow input for a run of {@code runbook}: parameters bound and checked, child runbooks
   * attached. Scheduled runs get exactly this input too.
   */
  public RunRequest request(Runbook runbook, Map<String, Object> params) {
    Map<String, Object> bound = ParamBinder.bind(runbook, params);
    Map<String, Runbook> library = catalog.libraryFor(runbook);
    ArgRules.checkParams(runbook, catalog.actions(), bound, library);
    return new RunRequest(runbook, bound, library);
  }

  public List<RunSummary> list() {
    List<RunSummary> all = listFromTemporal();
    List<RunSummary> out = new ArrayList<>(all.size());
    int queried = 0;
    boolean queryFailed = false;
    int described = 0;
    int read = 0;
    // results are read once per run; a slow server must not hold the list up for long
    long readUntil = System.nanoTime() + 2_000_000_000L;
    for (RunSummary s : all) {
      if (s.status() != RunStatus.RUNNING && s.endedAt() == 0 && described++ < 50) {
        // the embedded server's closed listing leaves out the close time; describe has it
        s =
            new RunSummary(
                s.id(), s.runbook(), s.status(), s.startedAt(), closeTime(s.id()), s.parent());
      }
      // a run waiting for a human is the one thing a list must not hide; ask the newest few
      if (s.status() == RunStatus.RUNNING && !queryFailed && queried++ < 20) {
        try {
          RunProgress p = progress(s.id());
          if (p.status() == RunStatus.WAITING_FOR_APPROVAL) {
            s =
                new RunSummary(
                    s.id(), s.runbook(), p.status(), s.startedAt(), s.endedAt(), s.parent());
          }
        } catch (RuntimeException e) {
          // keep RUNNING: the list must answer even when a query cannot; the next ones would wait
          // as long for the same missing worker
          queryFailed = true;
        }
      }
      // a completed run that could not do all of it (a backup short of unreadable files) says so
      // in the list too; each result is read once, the newest first
      if (s.status() == RunStatus.COMPLETED
          && (warnings.knows(s.id()) || read++ < 50 && System.nanoTime() < readUntil)) {
        s =
            new RunSummary(
                s.id(),
                s.runbook(),
                s.status(),
                s.startedAt(),
                s.endedAt(),
                s.parent(),
                warnings.of(s.id()));
      }
      out.add(s);
    }
    return out;
  }

  private List<RunSummary> listFromTemporal() {
    List<RunSummary> out = new ArrayList<>();
    if (visibilityQueries) {
      try {
        client
            .listExecutions("WorkflowType = '" + WORKFLOW_TYPE + "'")
            .limit(LIST_LIMIT)
            .forEach(m -> out.add(summary(m)));
        return sorted(out);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
          throw e;
        }
        // the embedded test server has no visibility queries; use the older listing calls
        visibilityQueries = false;
        out.clear();
      }
    }
    var stub = client.getWorkflowServiceStubs().blockingStub();
    String ns = client.getOptions().getNamespace();
    stub.listOpenWorkflowExecutions(
            ListOpenWorkflowExecutionsRequest.newBuilder()
                .setNamespace(ns)
                .setMaximumPageSize(LIST_LIMIT)
                .build())
        .getExecutionsList()
        .forEach(i -> out.add(summary(i)));
    stub.listClosedWorkflowExecutions(
            ListClosedWorkflowExecutionsRequest.newBuilder()
                .setNamespace(ns)
                .setMaximumPageSize(LIST_LIMIT)
                .build())
        .getExecutionsList()
        .forEach(i -> out.add(summary(i)));
    return sorted(out.stream().filter(s -> s.runbook() != null).collect(Collectors.toList()));
  }

  private DescribeWorkflowExecutionResponse describe(String id) {
    return client
        .getWorkflowServiceStubs()
        .blockingStub()
        .describeWorkflowExecution(
            DescribeWorkflowExecutionRequest.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id).build())
                .build());
  }

  private long closeTime(String id) {
    try {
      WorkflowExecutionInfo info = describe(id).getWorkflowExecutionInfo();
      return info.hasCloseTime() ? toMillis(info.getCloseTime()) : 0;
    } catch (StatusRuntimeException e) {
      return 0;
    }
  }

  /** The warnings of the completed run {@code id} (see {@link CompletedWarnings}). */
  public List<Map<String, String>> completedWarnings(String id) {
    return warnings.of(id);
  }

  /** The run with its steps, or empty when Temporal does not know the id. */
  public Optional<RunView> get(String id) {
    DescribeWorkflowExecutionResponse d;
    try {
      d = describe(id);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND
          || e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
        return Optional.empty();
      }
      throw e;
    }
    WorkflowExecutionInfo info = d.getWorkflowExecutionInfo();
    RunStatus status = map(info.getStatus());
    RunProgress progress = null;
    String queryError = null;
    try {
      progress = progress(id);
    } catch (RuntimeException e) {
      queryError = "progress is not available right now: " + rootMessage(e);
    }
    if (progress != null && progress.status() == RunStatus.CANCELED) {
      status = RunStatus.CANCELED;
    }
    if (progress != null && status == RunStatus.RUNNING) {
      status =
          progress.status() == RunStatus.WAITING_FOR_APPROVAL
              ? RunStatus.WAITING_FOR_APPROVAL
              : RunStatus.RUNNING;
    }
    String error = progress != null ? progress.error() : null;
    if (error == null && (status == RunStatus.FAILED)) {
      error = failureMessage(id).orElse(queryError);
    }
    return Optional.of(
        new RunView(
            id,
            progress != null && progress.runbook() != null
                ? progress.runbook()
                : runbookOf(id, info.getMemo()),
            status,
            toMillis(info.getStartTime()),
            info.hasCloseTime() ? toMillis(info.getCloseTime()) : 0,
            error,
            progress == null
                ? List.of()
                : LiveSteps.merge(
                    progress.steps(), LiveSteps.read(d, client.getOptions().getDataConverter())),
            queryError,
            info.hasParentExecution() ? info.getParentExecution().getWorkflowId() : null));
  }

  /** A run with its steps. */
  public record RunView(
      String id,
      String runbook,
      RunStatus status,
      long startedAt,
      long endedAt,
      String error,
      List<dev.lifeboat.workflows.StepProgress> steps,
      String note,
      String parent) {}

  /**
   * Gives the approval with its audit (who, when, from where, why) to the run, which checks it
   * against its own state: of two approvals racing for one step, one counts and the other is
   * refused. Throws {@link ApprovalRefused} when the run refuses it, {@link RunEnded} when the run
   * has ended, {@link ApprovalUnconfirmed} when no worker took it in time.
   */
  public void approve(String id, Approval approval) {
    RunbookWorkflow run = client.newWorkflowStub(RunbookWorkflow.class, id);
    java.util.concurrent.Future<Approval> answer =
        APPROVALS.submit(() -> run.approveStep(approval));
    try {
      answer.get(APPROVAL_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      answer.cancel(true);
      throw new ApprovalUnconfirmed(id);
    } catch (InterruptedException e) {
      answer.cancel(true);
      Thread.currentThread().interrupt();
      throw new ApprovalUnconfirmed(id);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      Optional<ApprovalRefusal> refusal = ApprovalRefusal.from(cause);
      if (refusal.isPresent()) {
        throw new ApprovalRefused(refusal.get());
      }
      if (isGone(cause)) {
        throw new RunEnded(id, get(id).map(RunView::status).orElse(RunStatus.COMPLETED));
      }
      if (cause instanceof WorkflowUpdateException && unknownUpdate(cause)) {
        // a worker from before approveStep: the signal it knows (the view was checked already)
        run.approveBy(approval);
        return;
      }
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
    }
  }

  /**
   * The run's progress, asked of the worker running it: a query waits for a worker to answer, and
   * with none running (one restarting, or deployed apart from the API and down) the SDK held a
   * run's status for ~60 s, the run list for as long a run. So the answer is awaited {@link
   * #QUERY_WAIT} at most; a query left waiting ends on the SDK's own deadline, on a thread of its
   * own.
   */
  private RunProgress progress(String id) {
    RunbookWorkflow run = client.newWorkflowStub(RunbookWorkflow.class, id);
    java.util.concurrent.Future<RunProgress> answer = QUERIES.submit(run::progress);
    try {
      return answer.get(QUERY_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      answer.cancel(true);
      throw new IllegalStateException(
          "no worker answered within " + QUERY_WAIT.toSeconds() + " s (is a worker running?)");
    } catch (InterruptedException e) {
      answer.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking the worker", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    }
  }

  private static final java.time.Duration QUERY_WAIT = java.time.Duration.ofSeconds(5);

  // queries waiting for a missing worker end on the SDK's deadline; at most this many wait at once,
  // the rest queue and are given up after QUERY_WAIT like any other
  private static final java.util.concurrent.ThreadPoolExecutor QUERIES = queryPool();

  private static java.util.concurrent.ThreadPoolExecutor queryPool() {
    java.util.concurrent.ThreadPoolExecutor pool =
        new java.util.concurrent.ThreadPoolExecutor(
            8,
            8,
            30,
            java.util.concurrent.TimeUnit.SECONDS,
            new java.util.concurrent.LinkedBlockingQueue<>(),
            daemon("lifeboat-query"));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private static final java.util.concurrent.ExecutorService APPROVALS =
      java.util.concurrent.Executors.newCachedThreadPool(daemon("lifeboat-approval"));

  /** Threads named {@code name} that never hold the JVM up. */
  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  private static final java.time.Duration APPROVAL_WAIT = java.time.Duration.ofSeconds(20);

  /** The run refused the approval (not an approval step, not waiting, already approved, ...). */
  public static final class ApprovalRefused extends RuntimeException {
    private final transient ApprovalRefusal refusal;

    ApprovalRefused(ApprovalRefusal refusal) {
      super(refusal.message());
      this.refusal = refusal;
    }

    public ApprovalRefusal refusal() {
      return refusal;
    }
  }

  /** The run has ended; nothing in it can be approved or cancelled. */
  public static final class RunEnded extends RuntimeException {
    private final RunStatus status;

    public RunEnded(String id, RunStatus status) {
      super("run '" + id + "' has already ended (" + status + ")");
      this.status = status;
    }

    public RunStatus status() {
      return status;
    }
  }

  /** No worker took the approval in time; it may still count when one does. */
  public static final class ApprovalUnconfirmed extends RuntimeException {
    ApprovalUnconfirmed(String id) {
      super(
          "no worker took the approval for run '"
              + id
              + "' within "
              + APPROVAL_WAIT.toSeconds()
              + " s; it may still count when a worker runs: look at the run before approving"
              + " again");
    }
  }

  /** The workflow execution is closed or unknown. */
  private static boolean isGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.temporal.client.WorkflowNotFoundException) {
        return true;
      }
      if (t instanceof StatusRuntimeException s
          && s.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return true;
      }
    }
    return false;
  }

  private static boolean unknownUpdate(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("Unknown update name")) {
        return true;
      }
    }
    return false;
  }

  private static final java.util.regex.Pattern RUN_ID =
      java.util.regex.Pattern.compile(
          "[a-z0-9][a-z0-9-]*@(\\d{8}T\\d{6}\\.\\d{3}Z(-\\d+)?|sched-[a-z0-9-]+-\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z)(/.+)?");

  /**
   * True when {@code id} looks like an id this API gave out, so a run Temporal no longer knows was
   * lost.
   */
  public static boolean looksLikeRunId(String id) {
    return RUN_ID.matcher(id).matches();
  }

  /** Asks Temporal to cancel the run; its finally steps still run. */
  public void cancel(String id) {
    try {
      client.newUntypedWorkflowStub(id).cancel();
    } catch (RuntimeException e) {
      if (isGone(e)) {
        // it ended between the caller's look and this request
        throw new RunEnded(id, get(id).map(RunView::status).orElse(RunStatus.COMPLETED));
      }
      throw e;
    }
  }

  private Optional<String> failureMessage(String id) {
    try {
      WorkflowStub stub = client.newUntypedWorkflowStub(id);
      stub.getResult(1, java.util.concurrent.TimeUnit.SECONDS, Object.class);
      return Optional.empty();
    } catch (Exception e) {
      return Optional.of(rootMessage(e));
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    String msg = e.getMessage();
    while (t != null) {
      if (t instanceof io.temporal.failure.ApplicationFailure af) {
        msg = af.getOriginalMessage();
      } else if (t.getCause() == null && t.getMessage() != null) {
        msg = msg == null ? t.getMessage() : msg;
      }
      t = t.getCause();
    }
    return msg;
  }

  private RunSummary summary(WorkflowExecutionMetadata m) {
    String name = runbookOf(m.getExecution().getWorkflowId());
    try {
      String memo = m.getMemo("runbook", String.class, String.class);
      name = memo == null ? name : memo;
    } catch (RuntimeException e) {
      // keep the name from the id
    }
    return new RunSummary(
        m.getExecution().getWorkflowId(),
        name,
        map(m.getStatus()),
        m.getStartTime().toEpochMilli(),
        m.getCloseTime() == null ? 0 : m.getCloseTime().toEpochMilli(),
        m.getParentExecution() == null ? null : m.getParentExecution().getWorkflowId());
  }

  private RunSummary summary(WorkflowExecutionInfo i) {
    if (!WORKFLOW_TYPE.equals(i.getType().getName())) {
      return new RunSummary(i.getExecution().getWorkflowId(), null, map(i.getStatus()), 0, 0, null);
    }
    return new RunSummary(
        i.getExecution().getWorkflowId(),
        runbookOf(i.getExecution().getWorkflowId(), i.getMemo()),
        map(i.getStatus()),
        toMillis(i.getStartTime()),
        i.hasCloseTime() ? toMillis(i.getCloseTime()) : 0,
        i.hasParentExecution() ? i.getParentExecution().getWorkflowId() : null);
  }

  private static List<RunSummary> sorted(List<RunSummary> in) {
    in.sort(Comparator.comparingLong(RunSummary::startedAt).reversed());
    return in;
  }

  /**
   * Run ids are {@code <runbook>@<UTC time>}, scheduled runs {@code
   * <runbook>@sched-<schedule>-<fire time>} (Temporal appends the fire time); child runs add {@code
   * /<step>} and carry their name in a memo.
   */
  static String runbookOf(String id) {
    int at = id.indexOf('@');
    return at < 0 ? id : id.substring(0, at);
  }

  private String runbookOf(String id, io.temporal.api.common.v1.Memo memo) {
    var field = memo.getFieldsMap().get("runbook");
    if (field != null) {
      try {
        return client
            .getOptions()
            .getDataConverter()
            .fromPayload(field, String.class, String.class);
      } catch (RuntimeException e) {
        return runbookOf(id);
      }
    }
    return runbookOf(id);
  }

  private static long toMillis(com.google.protobuf.Timestamp t) {
    return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
  }

  static RunStatus map(WorkflowExecutionStatus s) {
    return switch (s) {
      case WORKFLOW_EXECUTION_STATUS_RUNNING -> RunStatus.RUNNING;
      case WORKFLOW_EXECUTION_STATUS_COMPLETED, WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW ->
          RunStatus.COMPLETED;
      case WORKFLOW_EXECUTION_STATUS_CANCELED -> RunStatus.CANCELED;
      default -> RunStatus.FAILED;
    };
  }
}
