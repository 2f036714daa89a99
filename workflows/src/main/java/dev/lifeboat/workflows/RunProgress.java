package dev.lifeboat.workflows;

import java.util.List;

/** What the {@code progress} query answers. */
public record RunProgress(
    String runbook,
    RunStatus status,
    long startedAt,
    long endedAt,
    String error,
    List<StepProgress> steps) {}
