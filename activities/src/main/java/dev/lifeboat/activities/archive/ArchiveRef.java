package dev.lifeboat.activities.archive;

import java.nio.file.Path;

/**
 * One archive in (or copied out of) a repository: {@code <set>/<source>/<name>}, where {@code name}
 * is the archive's file name such as {@code 20261122T001500Z.tar.gz}.
 */
public record ArchiveRef(String set, String source, String name, Path path) {
  /** The timestamp part of the name, shared by the sidecar files. */
  public String stem() {
    return ArchiveNames.stem(name);
  }

  public Path manifestPath() {
    return path.resolveSibling(stem() + ArchiveNames.MANIFEST_SUFFIX);
  }

  /**
   * The record verifies left before state records existed; read for compatibility, never written.
   */
  public Path verifiedPath() {
    return path.resolveSibling(stem() + ArchiveNames.VERIFIED_SUFFIX);
  }

  /** The archive's one state record: unverified, verified or damaged. */
  public Path statePath() {
    return path.resolveSibling(stem() + ArchiveNames.STATE_SUFFIX);
  }

  /** The evidence of the last restore drill of this archive ({@link DrillRecord}). */
  public Path drillPath() {
    return path.resolveSibling(stem() + ArchiveNames.DRILL_SUFFIX);
  }

  public Path pinPath() {
    return path.resolveSibling(stem() + ArchiveNames.PIN_SUFFIX);
  }

  /**
   * The record that a prune deleted this archive ({@code <stem>.pruned}): what lets {@code
   * sync-offsite} delete its offsite copy.
   */
  public Path prunedPath() {
    return path.resolveSibling(stem() + ArchiveNames.PRUNED_SUFFIX);
  }
}
