package dev.lifeboat.activities.archive;

/**
 * A path of a backup source and what happened to it: why it was skipped, or how it changed while
 * read.
 */
public record PathNote(String path, String reason) {}
