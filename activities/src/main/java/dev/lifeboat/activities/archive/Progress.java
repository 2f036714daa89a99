package dev.lifeboat.activities.archive;

/**
 * Counts bytes and files for a {@link ProgressListener}, reporting after every file and every MiB.
 */
final class Progress {
  private static final long STEP = 1 << 20;

  private final ProgressListener listener;
  private final long bytesTotal;
  private long bytesDone;
  private long filesDone;
  private long lastReported;

  Progress(ProgressListener listener, long bytesTotal) {
    this.listener = listener == null ? ProgressListener.NONE : listener;
    this.bytesTotal = bytesTotal;
  }

  ProgressListener listener() {
    return listener;
  }

  long bytesTotal() {
    return bytesTotal;
  }

  void bytes(long n) {
    bytesDone += n;
    if (bytesDone - lastReported >= STEP) {
      report();
    }
  }

  void file() {
    filesDone++;
    report();
  }

  void report() {
    listener.checkCancelled();
    listener.progress(bytesDone, bytesTotal, filesDone);
    lastReported = bytesDone;
  }

  void checkCancelled() {
    listener.checkCancelled();
  }
}
