package dev.lifeboat.workflows;

import java.util.List;
import java.util.Map;

/**
 * How a run ended, with each step's output by step id; {@code warnings} ("step: text") are those of
 * the steps that succeeded with a result that is not whole (null from runs before they were kept).
 */
public record RunResult(
    RunStatus status, String error, Map<String, Object> outputs, List<String> warnings) {}
