package dev.lifeboat.workflows;

import java.util.List;

/**
 * The heartbeat details of a running action: its live counters, message and log tail for the API
 * (read through DescribeWorkflowExecution, so progress never grows the run's history), and the
 * action's checkpoint for a retry to resume from. One record, so sending progress never drops a
 * checkpoint. {@code at} is epoch ms of the snapshot.
 */
public record LiveProgress(
    String stepKey,
    int attempt,
    long bytesDone,
    long bytesTotal,
    long filesDone,
    String message,
    List<String> log,
    Object checkpoint,
    long at) {
  /**
   * The key under which an action's result carries its final message and log tail to the run (the
   * workflow takes it out of the step's output), so a finished step keeps its log without signals.
   */
  public static final String OUTPUT_KEY = "_live";

  public LiveProgress {
    log = log == null ? List.of() : List.copyOf(log);
  }
}
