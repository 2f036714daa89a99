package dev.lifeboat.activities.archive;

import java.nio.file.Path;

/**
 * An archive extracted into {@code target}, every file digest checked on the way; {@code
 * emptiedInterrupted} says the target held an interrupted restore, whose leftovers were removed
 * first.
 */
public record RestoreResult(
    ArchiveRef ref,
    Path target,
    long entries,
    long files,
    long bytes,
    boolean emptiedInterrupted) {}
