package dev.lifeboat.activities.command;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.LocalActionContext;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link LocalActionContext} that also keeps every progress message, for tests. */
public final class RecordingContext implements ActionContext {
  private final LocalActionContext local;
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private volatile Progress hook = (done, total, files) -> {};

  /** What a test does at each progress report: change the source under a backup, say. */
  public interface Progress {
    void report(long bytesDone, long bytesTotal, long filesDone);
  }

  public RecordingContext(String stepKey) {
    this.local = new LocalActionContext(stepKey);
  }

  public List<String> messages() {
    return List.copyOf(messages);
  }

  public List<String> logLines() {
    return local.logLines();
  }

  public LocalActionContext local() {
    return local;
  }

  /** Runs {@code hook} at each progress report, before it is recorded. */
  public RecordingContext onProgress(Progress hook) {
    this.hook = hook;
    return this;
  }

  @Override
  public String runId() {
    return local.runId();
  }

  @Override
  public String stepKey() {
    return local.stepKey();
  }

  @Override
  public int attempt() {
    return local.attempt();
  }

  @Override
  public void progress(long bytesDone, long bytesTotal, long filesDone) {
    hook.report(bytesDone, bytesTotal, filesDone);
    local.progress(bytesDone, bytesTotal, filesDone);
  }

  @Override
  public void message(String text) {
    messages.add(text);
    local.message(text);
  }

  @Override
  public void log(String line) {
    local.log(line);
  }

  @Override
  public void warn(String text) {
    local.warn(text);
  }

  @Override
  public void checkpoint(Object details) {
    local.checkpoint(details);
  }

  @Override
  public <T> Optional<T> lastCheckpoint(Class<T> type) {
    return local.lastCheckpoint(type);
  }

  @Override
  public void throwIfCancelled() {
    local.throwIfCancelled();
  }
}
