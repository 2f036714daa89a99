package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.ProgressListener;

/**
 * Forwards archive progress (and messages such as who holds a source lock) to the run and lets a
 * cancelled run stop the archive work.
 */
public final class ContextProgress implements ProgressListener {
  private final ActionContext context;

  public ContextProgress(ActionContext context) {
    this.context = context;
  }

  @Override
  public void progress(long bytesDone, long bytesTotal, long filesDone) {
    context.progress(bytesDone, bytesTotal, filesDone);
  }

  @Override
  public void message(String text) {
    context.message(text);
    context.log(text);
  }

  @Override
  public String runId() {
    return context.runId();
  }

  @Override
  public void checkCancelled() {
    context.throwIfCancelled();
  }

  static String require(String value, String action, String name) {
    if (value == null || value.isBlank()) {
      throw ActionException.invalid("action '" + action + "': argument '" + name + "' is required");
    }
    return value;
  }
}
