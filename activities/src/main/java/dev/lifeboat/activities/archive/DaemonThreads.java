package dev.lifeboat.activities.archive;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The engine's worker threads: named for thread dumps, daemons so they never hold the JVM up. */
final class DaemonThreads {
  private DaemonThreads() {}

  /** Threads named {@code <prefix>-1}, {@code <prefix>-2}, ... */
  static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static ExecutorService pool(String prefix, int threads) {
    return Executors.newFixedThreadPool(threads, named(prefix));
  }
}
