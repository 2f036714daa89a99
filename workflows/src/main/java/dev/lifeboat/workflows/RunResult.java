package dev.lifeboat.workflows;

import java.util.Map;

/** How a run ended, with each step's output by step id. */
public record RunResult(RunStatus status, String error, Map<String, Object> outputs) {}
