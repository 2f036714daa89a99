package dev.lifeboat.workflows;

/** Sent by an activity to its run when one attempt of a step fails, before the failure is rethrown. */
public record AttemptFailure(String stepKey, int attempt, String error, long at) {}
