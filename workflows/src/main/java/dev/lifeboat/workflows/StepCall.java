package dev.lifeboat.workflows;

/**
 * What every action activity receives besides its arguments: which step of which run it is, so it
 * can report progress to the right place.
 */
public record StepCall(String runId, String runbook, String stepKey) {}
