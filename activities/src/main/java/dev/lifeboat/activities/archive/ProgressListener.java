package dev.lifeboat.activities.archive;

/**
 * Hears how far a long archive operation is and may stop it. Actions forward this to {@code
 * ActionContext.progress} and {@code ActionContext.throwIfCancelled}.
 */
public interface ProgressListener {
  /** Does nothing and never cancels. */
  ProgressListener NONE = (bytesDone, bytesTotal, filesDone) -> {};

  /**
   * Called after every file and at least every MiB of data.
   *
   * @param bytesTotal 0 when not known in advance (e.g. a tar stream from a pod)
   */
  void progress(long bytesDone, long bytesTotal, long filesDone);

  /**
   * Throws (e.g. {@link java.util.concurrent.CancellationException}) once the operation should
   * stop.
   */
  default void checkCancelled() {}

  /** A short line saying what the operation is doing now, e.g. who it waits for. */
  default void message(String text) {}

  /**
   * The run on whose behalf the operation works, written into the source's lock file; null if none.
   */
  default String runId() {
    return null;
  }
}
