package dev.lifeboat.activities.action;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.workflows.AttemptFailure;
import dev.lifeboat.workflows.LiveProgress;
import dev.lifeboat.workflows.StepCall;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects an action to Temporal: heartbeats on a timer (so a dead worker is noticed and a cancel
 * reaches the action) carrying one {@link LiveProgress} record with the live counters, message, log
 * tail and the action's checkpoint. The API reads that record from the pending activity; nothing of
 * it goes into the run's history, so a 12-hour step costs no more events than a short one.
 */
final class TemporalActionContext implements ActionContext, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemporalActionContext.class);

  /**
   * The SDK throttles what reaches the server (see the worker's heartbeat throttle); this only
   * bounds our work.
   */
  private static final long HEARTBEAT_EVERY_MS = 1000;

  static final int LOG_TAIL = 50;
  private static final ObjectMapper CHECKPOINTS =
      ActionDispatcher.MAPPER.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final ActivityExecutionContext ctx;
  private final StepCall call;
  private final Thread worker = Thread.currentThread();
  private final ScheduledExecutorService ticker;
  private final LiveProgress previous;
  // details an attempt before progress moved into heartbeats left: a bare checkpoint
  private final JsonNode legacyCheckpoint;
  private volatile boolean cancelled;
  // once closed, no heartbeat may interrupt the thread, which goes on to report the attempt's end
  // to Temporal and must not find itself interrupted there
  private boolean closed;
  private Object checkpoint;
  private long bytesDone;
  private long bytesTotal;
  private long filesDone;
  private String message;
  private String warning;
  private final Deque<String> log = new ArrayDeque<>();

  TemporalActionContext(ActivityExecutionContext ctx, StepCall call) {
    this.ctx = ctx;
    this.call = call;
    // read once, before this attempt's first heartbeat: after it, the SDK answers with that
    // heartbeat's own LiveProgress, whatever type is asked for (a wait step's first attempt then
    // failed with a ClassCastException)
    JsonNode details = readDetails(ctx);
    this.previous =
        details != null && details.hasNonNull("stepKey")
            ? CHECKPOINTS.convertValue(details, LiveProgress.class)
            : null;
    this.legacyCheckpoint = previous == null ? details : null;
    // a retry keeps the last attempt's checkpoint until the action records a new one
    this.checkpoint = previous == null ? null : previous.checkpoint();
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "heartbeat-" + call.stepKey());
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(
        this::heartbeat, HEARTBEAT_EVERY_MS, HEARTBEAT_EVERY_MS, TimeUnit.MILLISECONDS);
    heartbeat();
  }

  private static JsonNode readDetails(ActivityExecutionContext ctx) {
    try {
      return ctx.getHeartbeatDetails(JsonNode.class).filter(n -> !n.isNull()).orElse(null);
    } catch (RuntimeException e) {
      // details that are no JSON this worker can read: start afresh
      return null;
    }
  }

  @Override
  public String runId() {
    return call.runId();
  }

  @Override
  public String stepKey() {
    return call.stepKey();
  }

  @Override
  public int attempt() {
    return ctx.getInfo().getAttempt();
  }

  @Override
  public synchronized void progress(long bytesDone, long bytesTotal, long filesDone) {
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
    this.filesDone = filesDone;
  }

  @Override
  public synchronized void message(String text) {
    this.message = Redactor.redact(text);
  }

  @Override
  public synchronized void warn(String text) {
    this.warning = Redactor.redact(text);
  }

  /** What the action last warned of, null when nothing. */
  synchronized String warning() {
    return warning;
  }

  @Override
  public synchronized void log(String line) {
    log.addLast(Redactor.redact(line));
    while (log.size() > LOG_TAIL) {
      log.removeFirst();
    }
  }

  @Override
  public void checkpoint(Object details) {
    synchronized (this) {
      this.checkpoint = details;
    }
    heartbeat();
  }

  @Override
  public <T> Optional<T> lastCheckpoint(Class<T> type) {
    if (previous != null) {
      return previous.checkpoint() == null
          ? Optional.empty()
          : Optional.of(CHECKPOINTS.convertValue(previous.checkpoint(), type));
    }
    if (legacyCheckpoint == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(CHECKPOINTS.convertValue(legacyCheckpoint, type));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  @Override
  public void throwIfCancelled() {
    if (cancelled) {
      throw new CancellationException("canceled");
    }
  }

  /** What the heartbeat carries now. */
  synchronized LiveProgress snapshot() {
    return new LiveProgress(
        call.stepKey(),
        attempt(),
        bytesDone,
        bytesTotal,
        filesDone,
        message,
        List.copyOf(log),
        checkpoint,
        System.currentTimeMillis());
  }

  private void heartbeat() {
    try {
      ctx.heartbeat(snapshot());
    } catch (ActivityCompletionException e) {
      // the run was cancelled or this attempt timed out: stop the action's thread
      cancelled = true;
      synchronized (this) {
        if (!closed) {
          worker.interrupt();
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("heartbeat failed", e);
    }
  }

  /** Tells the run this attempt failed, with the log tail; best effort. */
  void attemptFailed(String error) {
    try {
      ctx.getWorkflowClient()
          .newUntypedWorkflowStub(call.runId())
          .signal(
              "attemptFailed",
              new AttemptFailure(
                  call.stepKey(), attempt(), error, System.currentTimeMillis(), snapshot().log()));
    } catch (RuntimeException e) {
      LOG.debug("attempt failure not delivered", e);
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    ticker.shutdownNow();
    Thread.interrupted();
  }
}
