package dev.lifeboat.activities.archive;

import java.time.Instant;

/** A verify that passed: every digest, the entry count and the archive checksum matched. */
public record VerifyResult(
    ArchiveRef ref, long entries, long files, long bytes, Instant verifiedAt) {}
