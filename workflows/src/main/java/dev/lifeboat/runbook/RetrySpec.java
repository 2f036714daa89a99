package dev.lifeboat.runbook;

/** Retry override for a step; null fields fall back to the defaults. */
public record RetrySpec(Integer maxAttempts, String initialInterval, Double backoff) {}
