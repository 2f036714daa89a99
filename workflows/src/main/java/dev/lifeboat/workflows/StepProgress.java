package dev.lifeboat.workflows;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of one step (or one item of a forEach step, id {@code step[item]}). Times are epoch
 * milliseconds, 0 when not reached. {@code phase} is "main" or "finally".
 */
public record StepProgress(
    String id,
    String action,
    String phase,
    StepState state,
    long startedAt,
    long endedAt,
    int attempt,
    String lastError,
    String message,
    long bytesDone,
    long bytesTotal,
    long filesDone,
    Map<String, Object> output,
    List<String> log) {}
