package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.DrillRecord;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreDrillActionTest {
  @TempDir Path tmp;

  @Test
  void drillsRandomArchivesAndLeavesNoScratchBehind() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    for (String source : List.of("notebooks", "models", "datasets")) {
      Path src = Files.createDirectories(tmp.resolve("src").resolve(source).resolve("sub dir"));
      Files.writeString(
          src.resolve("Überblick " + source + ".ipynb"), "{\"cells\": [\"" + source + "\"]}");
      Files.createLink(src.resolve("again.ipynb"), src.resolve("Überblick " + source + ".ipynb"));
      repo.writeFromDirectory(
          "tier1", source, src.getParent(), List.of(), List.of(), ProgressListener.NONE);
    }
    Path scratch = tmp.resolve("scratch");
    Set<String> drilled = new HashSet<>();
    for (int i = 0; i < 30 && drilled.size() < 3; i++) {
      Map<String, Object> out =
          ActionDispatcher.invoke(
              new RestoreDrillAction(repo),
              Map.of("set", "tier1", "scratch", scratch.toString()),
              new LocalActionContext("drill"));
      assertThat(out).containsEntry("ok", true).containsEntry("restoredFiles", 1L);
      drilled.add((String) out.get("source"));
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).as("scratch copy removed").isEmpty();
      }
    }
    assertThat(drilled)
        .as("random picks reach every source")
        .containsExactlyInAnyOrder("notebooks", "models", "datasets");
  }

  /**
   * An attempt killed mid-drill left its restored copy in a temporary folder of its own for ever
   * (156 MB of /tmp per killed drill of a large archive): the retry of the step takes the same
   * folder, empties it first and removes it at the end.
   */
  @Test
  void aRetriedDrillRemovesWhatAKilledAttemptLeftInItsScratch() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src/models"));
    Files.write(src.resolve("weights.bin"), new byte[100_000]);
    repo.writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    String step = "drill-" + java.util.UUID.randomUUID();
    Path scratch = RestoreDrillAction.defaultScratch(new LocalActionContext(step));
    // what the killed attempt left: a restored copy, half written
    Path left = Files.createDirectories(scratch.resolve("tier1-models-20261201T000000Z/deep"));
    Files.write(left.resolve("weights.bin"), new byte[50_000]);
    assertThat(
            ActionDispatcher.invoke(
                new RestoreDrillAction(repo), Map.of("set", "tier1"), new LocalActionContext(step)))
        .containsEntry("ok", true);
    assertThat(scratch).as("the retry's scratch, leftovers and all, is gone").doesNotExist();
  }

  /**
   * A drill removes what it restored into its scratch: one in the repository was made there before
   * the restore was refused, and one on an archive root's drive was restored into, among the
   * archives. Now either is refused before it is made, and the archive keeps no failed drill.
   */
  @Test
  void aScratchAmongTheArchivesIsRefusedBeforeItIsMade() throws Exception {
    Path drive = tmp.resolve("drive");
    Repository repo = new Repository(tmp.resolve("repo"), List.of(drive));
    Path src = Files.createDirectories(tmp.resolve("src/models"));
    Files.writeString(src.resolve("weights.bin"), "w");
    repo.writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    new Repository(drive)
        .writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    ArchiveInfo archive = repo.list("tier1", "models").get(0);
    Path inRepo = repo.root().resolve("tier1/models/scratch");
    Path onDrive = drive.resolve("scratch");
    for (Path scratch : List.of(inRepo, onDrive)) {
      assertThatThrownBy(
              () ->
                  ActionDispatcher.invoke(
                      new RestoreDrillAction(repo),
                      Map.of("set", "tier1", "scratch", scratch.toString()),
                      new LocalActionContext("drill")))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(
              "action 'restore-drill': the scratch folder "
                  + scratch
                  + " cannot take the test restore: restore target "
                  + scratch.resolve("tier1-models-" + archive.ref().stem())
                  + " is inside the "
                  + (scratch == inRepo
                      ? "backup repository " + repo.root()
                      : "archive root " + drive))
          .hasMessageContaining(
              "restore into a folder outside the repository and the archive roots");
      assertThat(scratch).doesNotExist();
    }
    assertThat(repo.lastDrill(archive.ref())).isEmpty();
  }

  /**
   * A scratch folder given with '..' after a link was checked as the restore reads it (normalized),
   * but made, emptied and compared as the file system reads it, up from where the link leads:
   * {@code <out>/models/../drill}, {@code models} a link to the repository's {@code tier1/models},
   * made {@code tier1/drill} in the repository and compared the restored copy there. The drill now
   * makes, restores into, compares and removes the very folder it checked.
   */
  @Test
  void aScratchWithDotDotAfterALinkIsUsedWhereItWasChecked() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src/models"));
    Files.writeString(src.resolve("weights.bin"), "w");
    repo.writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    Path out = Files.createDirectories(tmp.resolve("out"));
    Files.createSymbolicLink(out.resolve("models"), repo.root().resolve("tier1/models"));
    Map<String, Object> result =
        ActionDispatcher.invoke(
            new RestoreDrillAction(repo),
            Map.of("set", "tier1", "scratch", out + "/models/../drill"),
            new LocalActionContext("drill"));
    assertThat(result).containsEntry("ok", true).containsEntry("restoredFiles", 1L);
    assertThat(repo.root().resolve("tier1/drill")).doesNotExist();
    assertThat(out.resolve("drill")).isEmptyDirectory();
  }

  @Test
  void aDamagedArchiveFailsTheDrillNamingIt() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src/models"));
    Files.write(src.resolve("weights.bin"), new byte[200_000]);
    repo.writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    ArchiveInfo archive = repo.list("tier1", "models").get(0);
    try (RandomAccessFile f = new RandomAccessFile(archive.path().toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xff);
    }
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreDrillAction(repo),
                    Map.of("set", "tier1"),
                    new LocalActionContext("drill")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(archive.name());
    // a failed drill is evidence too
    DrillRecord failed = repo.lastDrill(archive.ref()).orElseThrow();
    assertThat(failed.result()).isEqualTo("failed");
    assertThat(failed.error()).contains(archive.name());
    assertThat(repo.list("tier1", "models").get(0).damaged()).isTrue();
  }

  @Test
  void aDrillLeavesItsEvidenceBesideTheArchive() throws Exception {
    Instant at = Instant.parse("2026-11-30T05:00:00Z");
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src/notebooks"));
    Files.writeString(src.resolve("a.ipynb"), "{\"cells\": []}");
    Files.write(src.resolve("b.bin"), new byte[100_000]);
    repo.writeFromDirectory("tier1", "notebooks", src, List.of(), List.of(), ProgressListener.NONE);
    ArchiveInfo archive = repo.list("tier1", "notebooks").get(0);
    assertThat(repo.lastDrill(archive.ref())).isEmpty();

    Map<String, Object> out =
        ActionDispatcher.invoke(
            new RestoreDrillAction(repo, Clock.fixed(at, ZoneOffset.UTC)),
            Map.of("set", "tier1", "source", "notebooks"),
            new LocalActionContext("drill"));
    assertThat(out)
        .containsEntry("ok", true)
        .containsEntry("evidence", archive.ref().drillPath().toString());
    assertThat(((Number) out.get("restoreSeconds")).doubleValue()).isPositive();

    Path evidence = archive.ref().drillPath();
    assertThat(evidence.getFileName().toString()).isEqualTo(archive.ref().stem() + ".drill.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(evidence)))
        .isEqualTo("rw-------");
    DrillRecord r = repo.lastDrill(archive.ref()).orElseThrow();
    assertThat(r.at()).isEqualTo(at);
    assertThat(r.archive()).isEqualTo(archive.name());
    assertThat(r.set()).isEqualTo("tier1");
    assertThat(r.source()).isEqualTo("notebooks");
    assertThat(r.files()).isEqualTo(2);
    assertThat(r.bytes()).isEqualTo(100_000 + "{\"cells\": []}".length());
    assertThat(r.restoreSeconds()).isEqualTo(((Number) out.get("restoreSeconds")).doubleValue());
    assertThat(r.result()).isEqualTo("passed");
    assertThat(r.error()).isNull();
    assertThat(Files.readString(evidence))
        .contains("\"result\" : \"passed\"")
        .doesNotContain("\"error\"");
    // the state record says verified, as before
    assertThat(repo.list("tier1", "notebooks").get(0).verified()).isTrue();
    try (Stream<Path> left = Files.list(evidence.getParent())) {
      assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }
  }

  @Test
  void nothingToDrillIsAClearError() {
    Repository repo = new Repository(tmp.resolve("empty"));
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreDrillAction(repo), Map.of(), new LocalActionContext("drill")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no archives to drill");
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreDrillAction(repo),
                    Map.of("source", "x"),
                    new LocalActionContext("drill")))
        .hasMessageContaining("'source' needs 'set'");
  }
}
