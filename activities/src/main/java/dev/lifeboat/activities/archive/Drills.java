package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The evidence of restore drills: a record beside each drilled archive and the source's last passed
 * drill, which outlives the archive.
 */
final class Drills {
  private final Catalog catalog;

  Drills(Catalog catalog) {
    this.catalog = catalog;
  }

  /**
   * Records a restore drill's evidence beside the archive ({@code <stem>.drill.json}, owner-only,
   * atomic); a passed drill is also the source's {@code last-passed-drill.json}, which outlives the
   * archive when a prune deletes it (the health check asks when the source last proved restorable,
   * not that archive).
   */
  void recordDrill(ArchiveRef ref, DrillRecord record) throws IOException {
    RepositoryFiles.writeAtomically(ref.drillPath(), Json.MAPPER.writeValueAsBytes(record));
    if (record.passed()) {
      RepositoryFiles.writeAtomically(
          ref.path().resolveSibling(ArchiveNames.LAST_PASSED_DRILL),
          Json.MAPPER.writeValueAsBytes(record));
    }
  }

  /** The last passed drill of any archive of a set/source, even one pruned since. */
  Optional<DrillRecord> lastPassedDrill(String set, String source) {
    Path f = catalog.sourceDir(set, source).resolve(ArchiveNames.LAST_PASSED_DRILL);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.MAPPER.readValue(f.toFile(), DrillRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The evidence of the archive's last drill, if it was drilled (an unreadable record reads as
   * none).
   */
  Optional<DrillRecord> lastDrill(ArchiveRef ref) {
    if (!Files.isRegularFile(ref.drillPath())) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.MAPPER.readValue(ref.drillPath().toFile(), DrillRecord.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
