package dev.lifeboat.activities.action;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An {@link ActionContext} outside Temporal: keeps what the action reports, for tests and the CLI.
 */
public final class LocalActionContext implements ActionContext {
  private final String stepKey;
  private final List<String> log = new CopyOnWriteArrayList<>();
  private final Consumer<String> echo;
  private volatile boolean cancelled;
  private volatile Object checkpoint;
  private volatile long bytesDone;
  private volatile long bytesTotal;
  private volatile long filesDone;
  private volatile String message;
  private volatile String warning;
  private volatile int progressCalls;

  public LocalActionContext(String stepKey) {
    this(stepKey, line -> {});
  }

  public LocalActionContext(String stepKey, Consumer<String> echo) {
    this.stepKey = stepKey;
    this.echo = echo;
  }

  @Override
  public String runId() {
    return "local";
  }

  @Override
  public String stepKey() {
    return stepKey;
  }

  @Override
  public int attempt() {
    return 1;
  }

  @Override
  public void progress(long bytesDone, long bytesTotal, long filesDone) {
    this.bytesDone = bytesDone;
    this.bytesTotal = bytesTotal;
    this.filesDone = filesDone;
    progressCalls++;
  }

  @Override
  public void message(String text) {
    this.message = Redactor.redact(text);
  }

  @Override
  public void warn(String text) {
    this.warning = Redactor.redact(text);
  }

  @Override
  public void log(String line) {
    String masked = Redactor.redact(line);
    log.add(masked);
    echo.accept(masked);
  }

  @Override
  public void checkpoint(Object details) {
    this.checkpoint = details;
  }

  @Override
  public <T> Optional<T> lastCheckpoint(Class<T> type) {
    return type.isInstance(checkpoint) ? Optional.of(type.cast(checkpoint)) : Optional.empty();
  }

  @Override
  public void throwIfCancelled() {
    if (cancelled) {
      throw new CancellationException("canceled");
    }
  }

  public void cancel() {
    cancelled = true;
  }

  public List<String> logLines() {
    return List.copyOf(log);
  }

  public long bytesDone() {
    return bytesDone;
  }

  public long bytesTotal() {
    return bytesTotal;
  }

  public long filesDone() {
    return filesDone;
  }

  public String lastMessage() {
    return message;
  }

  /** What the action warned of last, null when nothing. */
  public String warning() {
    return warning;
  }

  public int progressCalls() {
    return progressCalls;
  }
}
