package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DrillsTest {
  @TempDir Path tmp;
  Drills drills;
  ArchiveRef first;
  ArchiveRef second;

  @BeforeEach
  void setUp() throws Exception {
    Path root = tmp.resolve("repo");
    Path dir = Files.createDirectories(root.resolve("local/src"));
    drills = new Drills(new Catalog(root, List.of()));
    first = ref(dir, "20261122T001500Z.tar.gz");
    second = ref(dir, "20261123T001500Z.tar.gz");
  }

  @Test
  void aDrillReadsBackAsRecordedAndOnlyAPassedOneCountsForTheSource() throws Exception {
    assertThat(drills.lastDrill(first)).isEmpty();
    assertThat(drills.lastPassedDrill("local", "src")).isEmpty();

    DrillRecord passed = drill(first, DrillRecord.PASSED, null);
    drills.recordDrill(first, passed);
    assertThat(drills.lastDrill(first)).contains(passed);
    assertThat(drills.lastPassedDrill("local", "src")).contains(passed);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.drillPath())))
        .isEqualTo("rw-------");

    DrillRecord failed = drill(second, DrillRecord.FAILED, "digest mismatch at 'a.txt'");
    drills.recordDrill(second, failed);
    assertThat(drills.lastDrill(second)).contains(failed);
    assertThat(drills.lastPassedDrill("local", "src"))
        .as("a failed drill does not replace the last passed one")
        .contains(passed);
  }

  @Test
  void theSourcesLastPassedDrillOutlivesItsArchive() throws Exception {
    DrillRecord passed = drill(first, DrillRecord.PASSED, null);
    drills.recordDrill(first, passed);
    Files.delete(first.path());
    Files.delete(first.drillPath()); // what a prune deletes
    assertThat(drills.lastDrill(first)).isEmpty();
    assertThat(drills.lastPassedDrill("local", "src")).contains(passed);
  }

  @Test
  void anUnreadableRecordReadsAsNoneAndBadNamesAreRefused() throws Exception {
    Files.writeString(first.drillPath(), "{half");
    Files.writeString(first.path().resolveSibling(ArchiveNames.LAST_PASSED_DRILL), "");
    assertThat(drills.lastDrill(first)).isEmpty();
    assertThat(drills.lastPassedDrill("local", "src")).isEmpty();
    assertThatThrownBy(() -> drills.lastPassedDrill("local", "../src"))
        .hasMessageContaining("not a usable name");
  }

  private static ArchiveRef ref(Path dir, String name) throws Exception {
    return new ArchiveRef("local", "src", name, Files.writeString(dir.resolve(name), "x"));
  }

  private static DrillRecord drill(ArchiveRef ref, String result, String error) {
    return new DrillRecord(
        Instant.parse("2026-11-24T00:00:00Z"),
        ref.name(),
        ref.set(),
        ref.source(),
        3,
        42,
        0.5,
        result,
        error,
        "run-1");
  }
}
