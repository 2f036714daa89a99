package dev.lifeboat.activities.action;

import dev.lifeboat.workflows.AttemptFailure;
import dev.lifeboat.workflows.ProgressReport;
import dev.lifeboat.workflows.StepCall;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
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
 * reaches the action), keeps checkpoints in the heartbeat details, and sends progress to the run as
 * throttled signals so the {@code progress} query shows live counts.
 */
final class TemporalActionContext implements ActionContext, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemporalActionContext.class);
  private static final long SEND_EVERY_MS = 1000;
  private static final long HEARTBEAT_EVERY_MS = 5000;

  private final ActivityExecutionContext ctx;
  private final StepCall call;
  private final Thread worker = Thread.currentThread();
  private final ScheduledExecutorService ticker;
  private volatile boolean cancelled;
  private Object checkpoint;
  private long bytesDone;
  private long bytesTotal;
  private long filesDone;
  private String message;
  private final List<String> pendingLines = new ArrayList<>();
  private long lastSent;
  private boolean dirty;

  TemporalActionContext(ActivityExecutionContext ctx, StepCall call) {
    this.ctx = ctx;
    this.call = call;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "heartbeat-" + call.stepKey());
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(this::tick, HEARTBEAT_EVERY_MS, HEARTBEAT_EVERY_MS, TimeUnit.MILLISECONDS);
    dirty = true;
    send(true);
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
    dirty = true;
    send(false);
  }

  @Override
  public synchronized void message(String text) {
    this.message = Redactor.redact(text);
    dirty = true;
    send(false);
  }

  @Override
  public synchronized void log(String line) {
    pendingLines.add(Redactor.redact(line));
    dirty = true;
    send(false);
  }

  @Override
  public synchronized void checkpoint(Object details) {
    this.checkpoint = details;
    heartbeat();
  }

  @Override
  public <T> Optional<T> lastCheckpoint(Class<T> type) {
    return ctx.getHeartbeatDetails(type);
  }

  @Override
  public void throwIfCancelled() {
    if (cancelled) {
      throw new CancellationException("canceled");
    }
  }

  private void tick() {
    heartbeat();
    synchronized (this) {
      send(false);
    }
  }

  private synchronized void heartbeat() {
    try {
      ctx.heartbeat(checkpoint);
    } catch (ActivityCompletionException e) {
      // the run was cancelled or this attempt timed out: stop the action's thread
      cancelled = true;
      worker.interrupt();
    } catch (RuntimeException e) {
      LOG.debug("heartbeat failed", e);
    }
  }

  private void send(boolean force) {
    long now = System.currentTimeMillis();
    if (!dirty || (!force && now - lastSent < SEND_EVERY_MS)) {
      return;
    }
    ProgressReport report = new ProgressReport(call.stepKey(), attempt(), bytesDone, bytesTotal, filesDone, message,
        List.copyOf(pendingLines));
    try {
      WorkflowClient client = ctx.getWorkflowClient();
      client.newUntypedWorkflowStub(call.runId()).signal("reportProgress", report);
      pendingLines.clear();
      dirty = false;
      lastSent = now;
    } catch (RuntimeException e) {
      // progress is best effort: a closed run or a busy server must not fail the backup itself
      LOG.debug("progress signal not delivered", e);
      lastSent = now;
    }
  }

  /** Tells the run this attempt failed; best effort, like progress. */
  void attemptFailed(String error) {
    try {
      ctx.getWorkflowClient().newUntypedWorkflowStub(call.runId()).signal("attemptFailed",
          new AttemptFailure(call.stepKey(), attempt(), error, System.currentTimeMillis()));
    } catch (RuntimeException e) {
      LOG.debug("attempt failure not delivered", e);
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    synchronized (this) {
      send(true);
    }
    Thread.interrupted();
  }
}
