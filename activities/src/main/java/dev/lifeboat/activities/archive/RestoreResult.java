package dev.lifeboat.activities.archive;

import java.nio.file.Path;

/** An archive extracted into {@code target}, every file digest checked on the way. */
public record RestoreResult(ArchiveRef ref, Path target, long entries, long files, long bytes) { }
