package dev.lifeboat.workflows;

import java.util.List;

/** Progress an activity sends to its run: counters, an optional message, and new log lines. */
public record ProgressReport(
    String stepKey,
    int attempt,
    long bytesDone,
    long bytesTotal,
    long filesDone,
    String message,
    List<String> newLogLines) {
  public ProgressReport {
    newLogLines = newLogLines == null ? List.of() : newLogLines;
  }
}
