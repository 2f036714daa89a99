package dev.lifeboat.runbook;

/** One argument an action accepts; {@code type} is a short label used in error messages. */
public record ArgSpec(String name, String type, boolean required, String description) {}
