package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.ArchiveState;
import dev.lifeboat.activities.archive.Fixtures;
import dev.lifeboat.activities.archive.Repository;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens after a check finds an archive damaged: its state, latest, retention and the restore
 * default.
 */
class DamagedArchiveTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-20T02:00:00Z"));
  Repository repo;
  Path src;
  LocalActionContext ctx = new LocalActionContext("s");

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    src = Files.createDirectories(tmp.resolve("notebooks"));
    Files.writeString(src.resolve("a.txt"), "the good copy\n");
  }

  @Test
  void aCorruptNewerArchiveIsMarkedDamagedAndTheOlderGoodOneSurvivesPruneAndIsRestored()
      throws Exception {
    ArchiveRef older =
        repo.writeFromDirectory("local", "notebooks", src, List.of(), List.of(), null).ref();
    assertThat(state(older).state()).isEqualTo(ArchiveState.State.UNVERIFIED);
    assertThat(state(older).by()).isEqualTo("backup");
    Files.writeString(src.resolve("a.txt"), "a newer copy that will rot\n");
    clock.set(Instant.parse("2026-11-21T02:00:00Z"));
    ArchiveRef newer =
        repo.writeFromDirectory("local", "notebooks", src, List.of(), List.of(), null).ref();
    assertThat(repo.resolve("local", "notebooks", null).name()).isEqualTo(newer.name());

    flip(newer.path(), Files.size(newer.path()) / 2);
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new VerifyAction(repo),
                    Map.of("source", "notebooks", "archive", newer.name()),
                    ctx))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(newer.name());

    ArchiveState damaged = state(newer);
    assertThat(damaged.state()).isEqualTo(ArchiveState.State.DAMAGED);
    assertThat(damaged.by()).isEqualTo("verify");
    assertThat(damaged.error()).contains(newer.name());
    assertThat(Files.readString(newer.statePath())).contains("\"state\" : \"damaged\"");
    Path latest = tmp.resolve("repo/local/notebooks/latest");
    assertThat(latest).as("latest moved off the damaged archive").hasContent(older.name() + "\n");

    Map<String, Object> pruned =
        ActionDispatcher.invoke(
            new PruneAction(repo),
            Map.of("set", "local", "source", "notebooks", "keepLast", 1),
            ctx);
    assertThat(pruned.get("deleted")).asList().isEmpty();
    assertThat(pruned.get("kept")).asList().containsExactly(older.name(), newer.name());
    assertThat(older.path()).exists();
    assertThat(ctx.logLines()).anyMatch(l -> l.contains("kept damaged " + newer.name()));
    assertThat(latest).hasContent(older.name() + "\n");

    Path target = tmp.resolve("restored");
    Map<String, Object> restored =
        ActionDispatcher.invoke(
            new RestoreAction(repo), Map.of("path", target.toString(), "source", "notebooks"), ctx);
    assertThat(restored).containsEntry("archive", older.path().toString());
    assertThat(target.resolve("a.txt")).hasContent("the good copy");
  }

  @Test
  void aDamagedArchiveDoesNotCountSoPruneDeletesNothingGoodToMakeRoomForIt() throws Exception {
    ArchiveRef a = backupAt("2026-11-18T02:00:00Z");
    ArchiveRef b = backupAt("2026-11-19T02:00:00Z");
    ArchiveRef c = backupAt("2026-11-20T02:00:00Z");
    repo.verify(a, null);
    flip(c.path(), Files.size(c.path()) / 2);
    assertThatThrownBy(() -> repo.verify(c, null)).isInstanceOf(ActionException.class);
    var r =
        repo.prune(
            "local", "notebooks", dev.lifeboat.activities.archive.RetentionPolicy.keepLast(1));
    // keepLast 1 counts good ones only: b (newest good) stays; a is the newest verified; c is kept
    // for forensics
    assertThat(r.deleted()).isEmpty();
    assertThat(r.keptBecause().get(b.name())).contains("keepLast", "newestGood");
    assertThat(r.keptBecause().get(a.name())).containsExactly("newestVerified");
    assertThat(r.keptBecause().get(c.name())).containsExactly("damaged");
    assertThat(repo.resolve("local", "notebooks", null).name()).isEqualTo(b.name());
  }

  @Test
  void aFailedDrillMarksTheArchiveDamaged() throws Exception {
    ArchiveRef a = backupAt("2026-11-18T02:00:00Z");
    flip(a.path(), Files.size(a.path()) / 2);
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreDrillAction(repo),
                    Map.of(
                        "set",
                        "local",
                        "source",
                        "notebooks",
                        "archive",
                        a.name(),
                        "scratch",
                        tmp.resolve("scratch").toString()),
                    ctx))
        .isInstanceOf(ActionException.class);
    assertThat(state(a).state()).isEqualTo(ArchiveState.State.DAMAGED);
    assertThat(state(a).by()).isEqualTo("restore-drill");
    assertThatThrownBy(() -> repo.resolve("local", "notebooks", null))
        .hasMessageContaining("no undamaged archive");
  }

  @Test
  void aRestoreThatFindsTheArchiveCorruptMarksItDamaged() throws Exception {
    ArchiveRef a = backupAt("2026-11-18T02:00:00Z");
    flip(a.path(), Files.size(a.path()) / 2);
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreAction(repo),
                    Map.of(
                        "path",
                        tmp.resolve("restored").toString(),
                        "source",
                        "notebooks",
                        "archive",
                        a.name()),
                    ctx))
        .isInstanceOf(ActionException.class);
    assertThat(state(a).state()).isEqualTo(ArchiveState.State.DAMAGED);
    assertThat(state(a).by()).isEqualTo("restore");
  }

  @Test
  void anArchiveWithoutManifestIsListedAsDamagedAndIsNeverLatest() throws Exception {
    ArchiveRef a = backupAt("2026-11-18T02:00:00Z");
    ArchiveRef b = backupAt("2026-11-19T02:00:00Z");
    Files.delete(b.manifestPath());
    List<ArchiveInfo> all = repo.list("local", "notebooks");
    assertThat(all).extracting(ArchiveInfo::name).containsExactly(a.name(), b.name());
    assertThat(all.get(1).damaged()).isTrue();
    assertThat(all.get(1).state().error()).contains("has no manifest");
    assertThat(all.get(1).createdAt()).isEqualTo(Instant.parse("2026-11-19T02:00:00Z"));
    assertThat(repo.resolve("local", "notebooks", null).name()).isEqualTo(a.name());

    Files.writeString(a.manifestPath(), "{ not json");
    assertThat(repo.list("local", "notebooks").get(0).state().error()).contains("cannot be read");
    assertThatThrownBy(() -> repo.resolve("local", "notebooks", null))
        .isInstanceOf(ActionException.class);
  }

  @Test
  void aVerifiedJsonFromBeforeStateRecordsStillCountsWhileItsChecksumMatches() throws Exception {
    ArchiveRef a = backupAt("2026-11-18T02:00:00Z");
    Files.delete(a.statePath());
    String sha = repo.manifest(a).archiveSha256();
    Files.writeString(
        a.verifiedPath(),
        "{\"verifiedAt\":\"2026-11-18T03:00:00Z\",\"archiveSha256\":\"" + sha + "\"}");
    assertThat(state(a).state()).isEqualTo(ArchiveState.State.VERIFIED);
    Files.writeString(
        a.verifiedPath(), "{\"verifiedAt\":\"2026-11-18T03:00:00Z\",\"archiveSha256\":\"00\"}");
    assertThat(state(a).state()).isEqualTo(ArchiveState.State.UNVERIFIED);
  }

  private ArchiveRef backupAt(String at) throws Exception {
    clock.set(Instant.parse(at));
    Files.writeString(src.resolve("a.txt"), "content at " + at + "\n");
    return repo.writeFromDirectory("local", "notebooks", src, List.of(), List.of(), null).ref();
  }

  private ArchiveState state(ArchiveRef ref) throws Exception {
    return repo.list(ref.set(), ref.source()).stream()
        .filter(i -> i.name().equals(ref.name()))
        .findFirst()
        .orElseThrow()
        .state();
  }

  static void flip(Path file, long offset) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x20);
    }
  }
}
