package dev.lifeboat.activities.action;

import java.util.Optional;

/** What a running action can tell its run, and how it learns it should stop. */
public interface ActionContext {
  String runId();

  String stepKey();

  /** 1 on the first try, higher on retries. */
  int attempt();

  /** Live counters shown in the run's progress; call as often as you like, sending is throttled. */
  void progress(long bytesDone, long bytesTotal, long filesDone);

  /** A short line saying what is happening now (e.g. "waiting for pod member1-0"). */
  void message(String text);

  /** One line for the step log. */
  void log(String line);

  /**
   * Says the step succeeded with a result that is not whole (a backup that could not read some
   * files): the run still completes, and shows this next to its status. The last one counts.
   */
  default void warn(String text) {}

  /**
   * Records where a long action is, so a retry on another worker can resume (heartbeat details).
   */
  void checkpoint(Object details);

  /** What the previous attempt last recorded with {@link #checkpoint}. */
  <T> Optional<T> lastCheckpoint(Class<T> type);

  /**
   * Throws {@link java.util.concurrent.CancellationException} once the run asked this action to
   * stop.
   */
  void throwIfCancelled();
}
