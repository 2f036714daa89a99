package dev.lifeboat.workflows;

/**
 * One failed attempt of a step: what it said and when (epoch ms). Temporal keeps only the last
 * failure of a retried activity, so the activity reports each one before it gives up the attempt.
 */
public record Attempt(int attempt, String error, long at) {}
