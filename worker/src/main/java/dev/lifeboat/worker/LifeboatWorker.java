package dev.lifeboat.worker;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.workflows.RunbookWorkflow;
import dev.lifeboat.workflows.RunbookWorkflowImpl;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;

/** Polls the Lifeboat task queue: the runbook workflow and every registered action. */
public final class LifeboatWorker implements AutoCloseable {
  private final WorkerFactory factory;

  public LifeboatWorker(TemporalConnection connection, ActionRegistry actions) {
    this(connection, actions, RunbookWorkflow.TASK_QUEUE);
  }

  public LifeboatWorker(TemporalConnection connection, ActionRegistry actions, String taskQueue) {
    this.factory = WorkerFactory.newInstance(connection.client());
    Worker worker =
        factory.newWorker(
            taskQueue,
            WorkerOptions.newBuilder()
                .setMaxConcurrentActivityExecutionSize(8)
                // a cancel reaches an activity only in a heartbeat reply: keep that within seconds,
                // not 48 s
                .setMaxHeartbeatThrottleInterval(java.time.Duration.ofSeconds(2))
                .build());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    worker.registerActivitiesImplementations(new ActionDispatcher(actions));
  }

  public void start() {
    factory.start();
  }

  public boolean isRunning() {
    return factory.isStarted() && !factory.isShutdown();
  }

  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
