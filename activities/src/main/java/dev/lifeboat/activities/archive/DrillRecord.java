package dev.lifeboat.activities.archive;

import java.time.Instant;

/**
 * The evidence a restore drill leaves beside the archive it restored ({@code <stem>.drill.json}):
 * when, which archive, how many files and bytes were checked against the manifest, how long the
 * restore took (the measured restore time for that tier) and whether it passed; {@code error} says
 * why it failed.
 *
 * @param result {@code passed} or {@code failed}
 */
public record DrillRecord(
    Instant at,
    String archive,
    String set,
    String source,
    long files,
    long bytes,
    double restoreSeconds,
    String result,
    String error,
    String runId) {
  public static final String PASSED = "passed";
  public static final String FAILED = "failed";

  public boolean passed() {
    return PASSED.equals(result);
  }
}
