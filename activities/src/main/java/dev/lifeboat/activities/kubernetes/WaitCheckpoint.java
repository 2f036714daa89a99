package dev.lifeboat.activities.kubernetes;

/**
 * Heartbeat details of a wait: what it waits for and when it gives up. A retried attempt that finds
 * the same {@code waitingFor} keeps the deadline, so retries do not extend a 5-minute wait forever.
 */
public record WaitCheckpoint(
    String waitingFor, long startedAtMillis, long deadlineMillis, String lastSeen) {}
