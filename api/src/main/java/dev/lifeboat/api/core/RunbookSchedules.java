package dev.lifeboat.api.core;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.ScheduleSpec;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunbookWorkflow;
import io.dropwizard.lifecycle.Managed;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleInfo;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleState;
import io.temporal.client.schedules.ScheduleUpdate;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runbooks' {@code schedules:} as Temporal Schedules, so they keep firing while Lifeboat is
 * down and show in Temporal's UI. Temporal owns the timing (cron, time zone, jitter, overlap,
 * catch-up, pause); this class only brings the server in line with the catalogue and reads it back.
 *
 * <p>A schedule named {@code n} has the Temporal id {@code <prefix>n} (prefix {@code lifeboat-} by
 * default) and a memo {@code lifeboat: <prefix>} marking it as ours; only those are ever updated or
 * deleted.
 */
public final class RunbookSchedules implements Managed {
  private static final Logger LOG = LoggerFactory.getLogger(RunbookSchedules.class);

  /**
   * A fire missed while Temporal was down still runs when the server is back within this; older
   * ones are dropped.
   */
  public static final Duration CATCHUP_WINDOW = Duration.ofDays(1);

  static final String OWNER_MEMO = "lifeboat";
  private static final Duration TRIGGER_WAIT = Duration.ofSeconds(15);
  private static final long GAUGE_CACHE_MS = 30_000;

  private final RunbookCatalog catalog;
  private final RunService runs;
  private final WorkflowClient client;
  private final ScheduleClient schedules;
  private final String prefix;
  private final MetricRegistry metrics;
  private volatile String offReason;

  /**
   * Ids this process created or updated: deleted on removal even before the server's listing shows
   * them.
   */
  private final Set<String> ours = ConcurrentHashMap.newKeySet();

  private final Map<String, long[]> skippedCache = new ConcurrentHashMap<>();
  private final Map<String, Object> triggerLocks = new ConcurrentHashMap<>();

  public RunbookSchedules(
      RunbookCatalog catalog,
      RunService runs,
      WorkflowClient client,
      boolean embedded,
      String prefix,
      MetricRegistry metrics) {
    this.catalog = catalog;
    this.runs = runs;
    this.client = client;
    this.prefix = prefix == null || prefix.isBlank() ? "lifeboat-" : prefix;
    this.metrics = metrics;
    this.schedules =
        embedded
            ? null
            : ScheduleClient.newInstance(
                client.getWorkflowServiceStubs(),
                ScheduleClientOptions.newBuilder()
                    .setNamespace(client.getOptions().getNamespace())
                    .build());
    this.offReason =
        embedded
            ? "the embedded in-memory Temporal test server has no Schedules API; set"
                + " LIFEBOAT_TEMPORAL_ADDRESS to a Temporal server (scripts/start.sh starts one) to run schedules"
            : null;
  }

  /**
   * One schedule as the API shows it. {@code next} holds ISO-8601 times in the schedule's time
   * zone. {@code runbookInvalid}: its runbook is invalid right now, so the schedule is kept in
   * Temporal as it was (still firing unless paused) and {@code reason} says what is wrong with the
   * runbook.
   */
  public record View(
      String name,
      String runbook,
      String cron,
      String timezone,
      String jitter,
      boolean paused,
      List<String> next,
      Last last,
      long skipped,
      long missed,
      boolean enabled,
      String reason,
      boolean runbookInvalid) {}

  /** The newest run the schedule started. */
  public record Last(String id, String status, String time, List<Map<String, String>> warnings) {}

  /**
   * What a sync changed; {@code kept} are schedules of runbooks that are invalid right now, left as
   * they were.
   */
  public record SyncResult(
      List<String> created, List<String> updated, List<String> deleted, List<String> kept) {}

  private record Entry(Runbook runbook, ScheduleSpec spec) {}

  public boolean enabled() {
    return offReason == null;
  }

  /** Why schedules are off, or null. */
  public String offReason() {
    return offReason;
  }

  public String temporalId(String name) {
    return prefix + name;
  }

  @Override
  public void start() {
    if (!enabled()) {
      LOG.warn("Schedules are OFF: {}. Runbook schedules will not fire.", offReason);
      return;
    }
    try {
      SyncResult r = sync();
      LOG.info(
          "Temporal schedules in line with the runbooks: {} created, {} updated, {} deleted",
          r.created().size(),
          r.updated().size(),
          r.deleted().size());
    } catch (RuntimeException e) {
      // Temporal may be starting up too; the next reload tries again
      LOG.error(
          "Temporal schedules could not be brought in line with the runbooks ({}); POST /api/runbooks/reload"
              + " retries",
          RunService.rootMessage(e));
    }
  }

  @Override
  public void stop() {}

  /**
   * After a catalogue reload: a Temporal failure is logged and shown per schedule, and does not
   * fail the reload.
   */
  public void syncAfterReload() {
    try {
      SyncResult r = sync();
      LOG.info(
          "schedules after reload: created {}, updated {}, deleted {}, kept {}",
          r.created(),
          r.updated(),
          r.deleted(),
          r.kept());
    } catch (RuntimeException e) {
      LOG.error(
          "Temporal schedules could not be brought in line with the runbooks: {}",
          RunService.rootMessage(e));
    }
  }

  /**
   * Creates missing schedules, updates existing ones (keeping their pause state) and deletes ours
   * that left the YAML.
   */
  public synchronized SyncResult sync() {
    if (!enabled()) {
      return new SyncResult(List.of(), List.of(), List.of(), List.of());
    }
    List<String> created = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    Map<String, Entry> wanted = entries();
    for (Entry e : wanted.values()) {
      String id = temporalId(e.spec().name());
      Schedule schedule;
      try {
        schedule = schedule(e);
      } catch (RuntimeException bad) {
        LOG.error("schedule {} cannot be built: {}", e.spec().name(), bad.getMessage());
        continue;
      }
      try {
        schedules.createSchedule(
            id,
            schedule,
            ScheduleOptions.newBuilder()
                .setMemo(Map.of(OWNER_MEMO, prefix, "runbook", e.runbook().name()))
                .build());
        created.add(e.spec().name());
      } catch (ScheduleAlreadyRunningException exists) {
        // parameters are bound when the schedule is written, so every sync rewrites it; a pause
        // stays
        schedules
            .getHandle(id)
            .update(
                in ->
                    new ScheduleUpdate(
                        Schedule.newBuilder(schedule)
                            .setState(in.getDescription().getSchedule().getState())
                            .build()));
        updated.add(e.spec().name());
      } catch (RuntimeException failed) {
        if (status(failed).map(c -> c == Status.Code.UNIMPLEMENTED).orElse(false)) {
          offReason =
              "this Temporal server has no Schedules API (" + RunService.rootMessage(failed) + ")";
          LOG.warn("Schedules are OFF: {}", offReason);
          return new SyncResult(created, updated, deleted, kept);
        }
        throw failed;
      }
      ours.add(id);
      gauge(e.spec().name());
    }
    Set<String> owned = new HashSet<>(ours);
    Map<String, String> runbookOf = new LinkedHashMap<>();
    schedules
        .listSchedules()
        .forEach(
            d -> {
              if (d.getScheduleId().startsWith(prefix) && prefix.equals(memo(d, OWNER_MEMO))) {
                owned.add(d.getScheduleId());
                runbookOf.put(d.getScheduleId(), memo(d, "runbook"));
              }
            });
    for (String id : owned) {
      String name = id.substring(prefix.length());
      if (wanted.containsKey(name)) {
        continue;
      }
      String runbook = runbookOf.get(id);
      if (runbook != null && catalog.find(runbook).orElse(null) instanceof LoadedRunbook.Invalid) {
        // a typo in the YAML must not silently stop the backups; fix the file and reload
        kept.add(name);
        continue;
      }
      try {
        schedules.getHandle(id).delete();
        deleted.add(name);
      } catch (RuntimeException gone) {
        if (!status(gone).map(c -> c == Status.Code.NOT_FOUND).orElse(false)) {
          throw gone;
        }
      }
      ours.remove(id);
      metrics.remove(gaugeName(name));
    }
    if (!kept.isEmpty()) {
      LOG.warn("schedules {} kept unchanged: their runbook is invalid", kept);
    }
    return new SyncResult(created, updated, deleted, kept);
  }

  private Schedule schedule(Entry e) {
    ScheduleSpec spec = e.spec();
    RunRequest request = runs.request(e.runbook(), spec.params());
    var when =
        io.temporal.client.schedules.ScheduleSpec.newBuilder()
            .setCronExpressions(List.of(spec.cron()))
            .setTimeZoneName(spec.timezone());
    if (spec.jitter() != null) {
      when.setJitter(spec.jitter());
    }
    return Schedule.newBuilder()
        .setSpec(when.build())
        .setAction(
            ScheduleActionStartWorkflow.newBuilder()
                .setWorkflowType(RunbookWorkflow.class)
                .setArguments(request)
                // Temporal appends the fire time: <runbook>@sched-<name>-2026-11-30T02:13:00Z
                .setOptions(
                    WorkflowOptions.newBuilder()
                        .setWorkflowId(e.runbook().name() + "@sched-" + spec.name())
                        .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                        .setMemo(Map.of("runbook", e.runbook().name(), "schedule", spec.name()))
                        .build())
                .build())
        .setPolicy(
            SchedulePolicy.newBuilder()
                .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                .setCatchupWindow(CATCHUP_WINDOW)
                .build())
        .setState(ScheduleState.newBuilder().setPaused(false).build())
        .build();
  }

  /** Every schedule of every valid runbook, by schedule name. */
  private Map<String, Entry> entries() {
    Map<String, Entry> out = new LinkedHashMap<>();
    for (LoadedRunbook r : catalog.all()) {
      r.runbook()
          .ifPresent(
              rb -> rb.schedules().forEach(s -> out.putIfAbsent(s.name(), new Entry(rb, s))));
    }
    return out;
  }

  private Entry entry(String name) {
    Entry e = entries().get(name);
    if (e == null) {
      throw ApiException.notFound("no schedule named '" + name + "'");
    }
    return e;
  }

  public List<View> list() {
    List<View> out = new ArrayList<>(entries().values().stream().map(this::view).toList());
    if (enabled()) {
      try {
        for (String name : kept()) {
          keptView(name).ifPresent(out::add);
        }
      } catch (RuntimeException failed) {
        LOG.warn(
            "schedules of invalid runbooks could not be listed: {}",
            RunService.rootMessage(failed));
      }
    }
    return out;
  }

  public View get(String name) {
    if (entries().get(name) == null) {
      return keptView(name).orElseThrow(() -> notFound(name));
    }
    return view(entry(name));
  }

  /**
   * Names of our schedules in Temporal whose runbook is invalid right now: sync leaves them as they
   * were, so they still fire and must stay visible and pausable.
   */
  private List<String> kept() {
    Map<String, Entry> wanted = entries();
    List<String> out = new ArrayList<>();
    schedules
        .listSchedules()
        .forEach(
            d -> {
              String id = d.getScheduleId();
              if (id.startsWith(prefix) && prefix.equals(memo(d, OWNER_MEMO))) {
                String name = id.substring(prefix.length());
                if (!wanted.containsKey(name) && invalid(memo(d, "runbook")).isPresent()) {
                  out.add(name);
                }
              }
            });
    return out.stream().distinct().sorted().toList();
  }

  private Optional<LoadedRunbook.Invalid> invalid(String runbook) {
    return runbook != null && catalog.find(runbook).orElse(null) instanceof LoadedRunbook.Invalid i
        ? Optional.of(i)
        : Optional.empty();
  }

  /** The schedule {@code name} of a runbook that is invalid right now, as Temporal has it. */
  private Optional<View> keptView(String name) {
    if (!enabled()) {
      return Optional.empty();
    }
    ScheduleDescription d;
    try {
      d = describe(name);
    } catch (RuntimeException missing) {
      return Optional.empty();
    }
    String runbook = memo(d, "runbook");
    if (!prefix.equals(memo(d, OWNER_MEMO))) {
      return Optional.empty();
    }
    Optional<LoadedRunbook.Invalid> bad = invalid(runbook);
    if (bad.isEmpty()) {
      return Optional.empty();
    }
    var spec = d.getSchedule().getSpec();
    String timezone =
        spec.getTimeZoneName() == null || spec.getTimeZoneName().isBlank()
            ? "UTC"
            : spec.getTimeZoneName();
    ScheduleInfo info = d.getInfo();
    DateTimeFormatter local = DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(ZoneId.of(timezone));
    return Optional.of(
        new View(
            name,
            runbook,
            spec.getCronExpressions() == null || spec.getCronExpressions().isEmpty()
                ? null
                : spec.getCronExpressions().get(0),
            timezone,
            spec.getJitter() == null ? null : spec.getJitter().toString(),
            d.getSchedule().getState().isPaused(),
            info.getNextActionTimes().stream().limit(3).map(local::format).toList(),
            last(info),
            info.getNumActionsSkippedOverlap(),
            info.getNumActionsMissedCatchupWindow(),
            true,
            "runbook "
                + runbook
                + " is invalid ("
                + bad.get().file()
                + ":"
                + bad.get().line()
                + ": "
                + bad.get().reason()
                + "); the schedule is kept as it was: fix the file and reload",
            true));
  }

  private static ApiException notFound(String name) {
    return ApiException.notFound("no schedule named '" + name + "'");
  }

  private View view(Entry e) {
    ScheduleSpec s = e.spec();
    String jitter = s.jitter() == null ? null : s.jitter().toString();
    if (!enabled()) {
      return new View(
          s.name(),
          e.runbook().name(),
          s.cron(),
          s.timezone(),
          jitter,
          false,
          List.of(),
          null,
          0,
          0,
          false,
          offReason,
          false);
    }
    ScheduleDescription d;
    try {
      d = describe(s.name());
    } catch (RuntimeException failed) {
      return new View(
          s.name(),
          e.runbook().name(),
          s.cron(),
          s.timezone(),
          jitter,
          false,
          List.of(),
          null,
          0,
          0,
          false,
          "not in Temporal: "
              + RunService.rootMessage(failed)
              + " (POST /api/runbooks/reload creates it)",
          false);
    }
    ScheduleInfo info = d.getInfo();
    DateTimeFormatter local =
        DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(ZoneId.of(s.timezone()));
    List<String> next = info.getNextActionTimes().stream().limit(3).map(local::format).toList();
    skippedCache.put(
        s.name(), new long[] {System.currentTimeMillis(), info.getNumActionsSkippedOverlap()});
    return new View(
        s.name(),
        e.runbook().name(),
        s.cron(),
        s.timezone(),
        jitter,
        d.getSchedule().getState().isPaused(),
        next,
        last(info),
        info.getNumActionsSkippedOverlap(),
        info.getNumActionsMissedCatchupWindow(),
        true,
        null,
        false);
  }

  private Last last(ScheduleInfo info) {
    List<ScheduleActionResult> recent = info.getRecentActions();
    if (recent.isEmpty()
        || !(recent.get(recent.size() - 1).getAction()
            instanceof ScheduleActionExecutionStartWorkflow a)) {
      return null;
    }
    ScheduleActionResult r = recent.get(recent.size() - 1);
    String status;
    try {
      var wf =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(a.getWorkflowId()))
                      .build());
      status = RunService.map(wf.getWorkflowExecutionInfo().getStatus()).name();
    } catch (StatusRuntimeException gone) {
      status = "UNKNOWN";
    }
    // a nightly backup short of unreadable files must not read as a plain success here
    List<Map<String, String>> warnings =
        "COMPLETED".equals(status) ? runs.completedWarnings(a.getWorkflowId()) : List.of();
    return new Last(a.getWorkflowId(), status, r.getStartedAt().toString(), warnings);
  }

  public View pause(String name, String by) {
    handle(name).pause("paused through Lifeboat by " + by);
    return get(name);
  }

  public View resume(String name, String by) {
    handle(name).unpause("resumed through Lifeboat by " + by);
    return get(name);
  }

  /** The handle of a schedule the catalogue has, or of one kept because its runbook is invalid. */
  private ScheduleHandle handle(String name) {
    Entry e = entries().get(name);
    if (e != null) {
      return handle(e);
    }
    if (!enabled()) {
      throw notFound(name);
    }
    keptView(name).orElseThrow(() -> notFound(name));
    return schedules.getHandle(temporalId(name));
  }

  /**
   * Starts a run of the schedule now and returns its id. A run of the same schedule still going is
   * a 409 naming it: triggering is not a way around the overlap rule.
   */
  public String trigger(String name) {
    if (entries().get(name) == null && enabled()) {
      keptView(name)
          .ifPresent(
              v -> {
                throw new ApiException(
                    409,
                    "schedule '"
                        + name
                        + "' is not triggered: "
                        + v.reason().replace("; the schedule is kept as it was", ""),
                    Map.of("runbookInvalid", true));
              });
    }
    Entry e = entry(name);
    // one trigger of a schedule at a time in this process: a second one waits, then finds the
    // first one's run going and is refused like any trigger during a run
    synchronized (triggerLocks.computeIfAbsent(name, n -> new Object())) {
      return triggerNow(name, e);
    }
  }

  private String triggerNow(String name, Entry e) {
    ScheduleHandle h = handle(e);
    ScheduleInfo before = h.describe().getInfo();
    running(before)
        .ifPresent(
            id -> {
              throw new ApiException(
                  409,
                  "schedule '" + name + "' already has a run going: " + id,
                  Map.of("running", id));
            });
    Set<String> seen = new HashSet<>();
    before.getRecentActions().forEach(r -> workflowId(r.getAction()).ifPresent(seen::add));
    h.trigger(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    long deadline = System.nanoTime() + TRIGGER_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      ScheduleInfo now = h.describe().getInfo();
      for (ScheduleActionResult r : now.getRecentActions()) {
        Optional<String> id = workflowId(r.getAction());
        if (id.isPresent() && !seen.contains(id.get())) {
          return id.get();
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new ApiException(
        504,
        "schedule '"
            + name
            + "' was triggered but Temporal has not started the run within "
            + TRIGGER_WAIT.toSeconds()
            + "s; see GET /api/schedules",
        Map.of());
  }

  private static Optional<String> running(ScheduleInfo info) {
    return info.getRunningActions().stream()
        .map(RunbookSchedules::workflowId)
        .flatMap(Optional::stream)
        .findFirst();
  }

  private static Optional<String> workflowId(Object action) {
    return action instanceof ScheduleActionExecutionStartWorkflow a
        ? Optional.of(a.getWorkflowId())
        : Optional.empty();
  }

  private ScheduleHandle handle(Entry e) {
    if (!enabled()) {
      throw new ApiException(409, "schedules are off: " + offReason, Map.of("enabled", false));
    }
    return schedules.getHandle(temporalId(e.spec().name()));
  }

  private ScheduleDescription describe(String name) {
    return schedules.getHandle(temporalId(name)).describe();
  }

  private static String gaugeName(String name) {
    return MetricRegistry.name("lifeboat", "schedule", name, "skipped");
  }

  /**
   * Fires skipped because the previous run still ran, per schedule; read from Temporal at most
   * every 30 s.
   */
  private void gauge(String name) {
    metrics.gauge(
        gaugeName(name),
        () ->
            (Gauge<Long>)
                () -> {
                  long[] c = skippedCache.get(name);
                  if (c == null || System.currentTimeMillis() - c[0] > GAUGE_CACHE_MS) {
                    try {
                      long n = describe(name).getInfo().getNumActionsSkippedOverlap();
                      c = new long[] {System.currentTimeMillis(), n};
                      skippedCache.put(name, c);
                    } catch (RuntimeException e) {
                      return c == null ? -1L : c[1];
                    }
                  }
                  return c[1];
                });
  }

  private static String memo(ScheduleDescription d, String key) {
    try {
      Object v = d.getMemo(key, String.class);
      return v == null ? null : v.toString();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String memo(ScheduleListDescription d, String key) {
    try {
      Object v = d.getMemo(key, String.class);
      return v == null ? null : v.toString();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Optional<Status.Code> status(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s) {
        return Optional.of(s.getStatus().getCode());
      }
    }
    return Optional.empty();
  }
}
