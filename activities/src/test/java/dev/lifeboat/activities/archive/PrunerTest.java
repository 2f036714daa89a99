package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrunerTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));
  Repository repo;
  Pruner pruner;
  Path src;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    pruner =
        new Pruner(
            new Catalog(tmp.resolve("repo"), List.of()),
            clock,
            (ref, l) -> new Checker(clock, 1).verify(repo, ref, l, "prune"));
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
  }

  @Test
  void pruneKeepsLastWithinPinnedAndNewestVerified() throws Exception {
    // six daily archives, day 0 .. day 5
    List<ArchiveRef> refs = new java.util.ArrayList<>();
    for (int day = 0; day < 6; day++) {
      clock.set(Instant.parse("2026-11-01T02:00:00Z").plus(Duration.ofDays(day)));
      refs.add(repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref());
    }
    repo.verify(refs.get(1), null); // newest verified
    repo.pin(refs.get(0));
    clock.set(Instant.parse("2026-11-06T03:00:00Z"));
    PruneResult r = repo.prune("local", "src", new RetentionPolicy(2, Duration.ofDays(3)));
    // keepLast 2: days 4, 5; within 3 days of 11-06 03:00: days 3, 4, 5
    assertThat(r.kept())
        .containsExactly(
            refs.get(0).name(),
            refs.get(1).name(),
            refs.get(3).name(),
            refs.get(4).name(),
            refs.get(5).name());
    assertThat(r.deleted()).containsExactly(refs.get(2).name());
    assertThat(r.keptBecause().get(refs.get(0).name())).containsExactly("pinned");
    assertThat(r.keptBecause().get(refs.get(1).name())).containsExactly("newestVerified");
    assertThat(r.keptBecause().get(refs.get(3).name())).containsExactly("keepWithin");
    assertThat(r.keptBecause().get(refs.get(5).name()))
        .containsExactly("keepLast", "keepWithin", "newestGood");
    assertThat(refs.get(2).path()).doesNotExist();
    assertThat(refs.get(2).manifestPath()).doesNotExist();

    // keepLast 1 alone: only the newest, plus pinned and newest verified survive; latest still
    // points at it
    PruneResult r2 = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(r2.kept())
        .containsExactly(refs.get(0).name(), refs.get(1).name(), refs.get(5).name());
    assertThat(repo.list("local", "src")).extracting(ArchiveInfo::name).isEqualTo(r2.kept());
    assertThat(repo.list("local", "src").get(0).pinned()).isTrue();
    assertThat(repo.resolve("local", "src", null).name()).isEqualTo(refs.get(5).name());
  }

  @Test
  void anArchiveCutShortAfterItsVerifyIsDamagedAndTheGoodOneBeforeItStays() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef good =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(good, null);
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef cut = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(cut, null);
    try (var ch =
        java.nio.channels.FileChannel.open(cut.path(), java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    ArchiveInfo listed = repo.list("local", "src").get(1);
    assertThat(listed.damaged()).as("its state record still says verified").isTrue();
    assertThat(listed.state().error()).contains("bytes but its manifest says");

    PruneResult r = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(r.deleted()).isEmpty();
    assertThat(good.path()).exists();
    assertThat(repo.resolve("local", "src", null)).isEqualTo(good);
  }

  @Test
  void aVerifyLongAgoIsRepeatedBeforeAPruneDeletesWhatItVouchesFor() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef good =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(good, null);
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef rotten =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(rotten, null);
    // rot after the verify: same size, one byte changed, the modified time as it was
    java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(rotten.path());
    byte[] bytes = Files.readAllBytes(rotten.path());
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(rotten.path(), bytes);
    Files.setLastModifiedTime(rotten.path(), modified);
    clock.set(Instant.parse("2026-11-04T02:00:00Z"));
    List<String> messages = new java.util.ArrayList<>();
    PruneResult r =
        pruner.prune(
            "local", "src", RetentionPolicy.keepLast(1), false, Fixtures.collecting(messages));
    assertThat(r.deleted()).isEmpty();
    assertThat(good.path()).exists();
    assertThat(messages).anyMatch(m -> m.contains("verifying " + rotten.name() + " again"));
    assertThat(repo.list("local", "src").get(1).damaged()).isTrue();

    // a verify within the hour vouches as it is: nothing is read again
    ArchiveRef fresh =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(fresh, null);
    messages.clear();
    PruneResult r2 =
        pruner.prune(
            "local", "src", RetentionPolicy.keepLast(1), false, Fixtures.collecting(messages));
    assertThat(r2.deleted()).containsExactly(good.name());
    assertThat(messages).noneMatch(m -> m.contains("again"));
  }

  @Test
  void anArchiveChangedOnDiskAfterAFreshVerifyVouchesForNothing() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef good =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(good, null);
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef flipped =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(flipped, null);
    // minutes later a byte is flipped in place (same size, a new mtime): the verify within the
    // hour was of other bytes
    java.nio.file.attribute.FileTime verifiedAt = Files.getLastModifiedTime(flipped.path());
    byte[] bytes = Files.readAllBytes(flipped.path());
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(flipped.path(), bytes);
    Files.setLastModifiedTime(
        flipped.path(),
        java.nio.file.attribute.FileTime.from(verifiedAt.toInstant().plusSeconds(60)));
    clock.set(Instant.parse("2026-11-02T02:10:00Z"));

    ArchiveInfo listed = repo.list("local", "src").get(1);
    assertThat(listed.verified()).isFalse();
    assertThat(listed.damaged()).isFalse();
    assertThat(listed.state().error())
        .contains(flipped.name())
        .contains("changed on disk after its verify");
    assertThat(repo.newestVerified("local", "src").map(ArchiveInfo::name)).contains(good.name());

    PruneResult r = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(r.deleted()).isEmpty();
    assertThat(good.path()).exists();

    // a verify reads it again and finds the flip: the good one is what a restore takes
    assertThatThrownBy(() -> repo.verify(flipped, null)).isInstanceOf(DamagedArchive.class);
    assertThat(repo.resolve("local", "src", null)).isEqualTo(good);
  }

  @Test
  void aStateRecordWithoutTheArchivesModifiedTimeIsReadAgainBeforeAPrune() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef older =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(older, null);
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef newer =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    // a verify of an earlier version, which recorded when but not which bytes
    ArchiveStates.write(newer, ArchiveState.verified(clock.instant(), "verify"));
    List<String> messages = new java.util.ArrayList<>();
    PruneResult r =
        pruner.prune(
            "local", "src", RetentionPolicy.keepLast(1), false, Fixtures.collecting(messages));
    assertThat(messages).anyMatch(m -> m.contains("verifying " + newer.name() + " again"));
    assertThat(r.deleted()).containsExactly(older.name());
  }

  @Test
  void anArchiveARunningBackupHasYetToVerifyIsNotPrunedUnderIt() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef verified =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(verified, null);
    // two backups at once: the first one's archive is written, its verify step not yet run
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef first =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    clock.set(Instant.parse("2026-11-02T02:01:00Z"));
    ArchiveRef second =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    clock.set(Instant.parse("2026-11-02T02:02:00Z"));
    PruneResult r = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(r.deleted()).isEmpty();
    assertThat(r.keptBecause().get(first.name())).containsExactly("awaitingVerify");
    assertThat(r.keptBecause().get(verified.name())).containsExactly("newestVerified");
    assertThat(r.keptBecause().get(second.name())).contains("keepLast", "newestGood");

    // hours later an archive still unverified was not left by a running backup: it may go
    clock.set(Instant.parse("2026-11-02T09:00:00Z"));
    PruneResult later = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(later.deleted()).containsExactly(first.name());
  }

  @Test
  void pruneMovesLatestWhenItsArchiveGoes() throws Exception {
    clock.set(Instant.parse("2026-11-01T00:00:00Z"));
    ArchiveRef old = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    clock.set(Instant.parse("2026-11-02T00:00:00Z"));
    ArchiveRef newer =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    Path latest = tmp.resolve("repo/local/src/latest");
    Files.writeString(latest, old.name() + "\n"); // say someone pointed latest back
    clock.set(Instant.parse("2026-11-30T00:00:00Z"));
    PruneResult r = repo.prune("local", "src", RetentionPolicy.keepWithin(Duration.ofDays(1)));
    // nothing is within a day, but the newest good archive always stays: a prune never empties a
    // source
    assertThat(r.deleted()).containsExactly(old.name());
    assertThat(r.keptBecause().get(newer.name())).containsExactly("keepWithin", "newestGood");
    assertThat(latest).hasContent(newer.name() + "\n");
    assertThatThrownBy(() -> new RetentionPolicy(null, null)).isInstanceOf(ActionException.class);
    assertThatThrownBy(() -> RetentionPolicy.keepLast(0)).hasMessageContaining("keepLast");
  }

  @Test
  void aDryRunDeletesNothingAndARealRunTakesTheSidecarsAlong() throws Exception {
    List<ArchiveRef> refs = new java.util.ArrayList<>();
    for (int day = 0; day < 3; day++) {
      clock.set(Instant.parse("2026-11-01T02:00:00Z").plus(Duration.ofDays(day)));
      refs.add(repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref());
    }
    ArchiveRef oldest = refs.get(0);
    repo.verify(oldest, null);
    repo.recordDrill(
        oldest,
        new DrillRecord(
            clock.instant(),
            oldest.name(),
            "local",
            "src",
            1,
            1,
            0.1,
            DrillRecord.PASSED,
            null,
            "run-1"));
    Path dir = tmp.resolve("repo/local/src");
    Files.writeString(dir.resolve("latest"), oldest.name() + "\n");
    repo.verify(refs.get(2), null); // the newest is also the newest verified: the oldest may go

    PruneResult dry =
        pruner.prune("local", "src", RetentionPolicy.keepLast(1), true, ProgressListener.NONE);
    assertThat(dry.dryRun()).isTrue();
    assertThat(dry.deleted()).containsExactly(refs.get(0).name(), refs.get(1).name());
    assertThat(dry.deletedBecause()).containsEntry(oldest.name(), "no rule keeps it");
    assertThat(oldest.path()).exists();
    assertThat(dir.resolve("latest"))
        .as("a dry run moves nothing")
        .hasContent(oldest.name() + "\n");

    PruneResult real =
        pruner.prune("local", "src", RetentionPolicy.keepLast(1), false, ProgressListener.NONE);
    assertThat(real.deleted()).isEqualTo(dry.deleted());
    assertThat(real.kept()).containsExactly(refs.get(2).name());
    for (Path gone :
        List.of(
            oldest.path(),
            oldest.manifestPath(),
            oldest.statePath(),
            oldest.drillPath(),
            refs.get(1).path())) {
      assertThat(gone).doesNotExist();
    }
    assertThat(dir.resolve(ArchiveNames.LAST_PASSED_DRILL))
        .as("the source's last passed drill outlives its archive")
        .exists();
    assertThat(dir.resolve("latest")).hasContent(refs.get(2).name() + "\n");
  }

  @Test
  void aPinnedArchiveStaysUntilUnpinned() throws Exception {
    clock.set(Instant.parse("2026-11-01T00:00:00Z"));
    ArchiveRef old = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    clock.set(Instant.parse("2026-11-02T00:00:00Z"));
    repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);

    pruner.pin(old);
    assertThat(old.pinPath()).hasContent("pinned 2026-11-02T00:00:00Z\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(old.pinPath())))
        .isEqualTo("rw-------");
    assertThat(pruner.prune("local", "src", RetentionPolicy.keepLast(1), false, null).keptBecause())
        .containsEntry(old.name(), List.of("pinned"));
    assertThat(old.path()).exists();

    pruner.unpin(old);
    pruner.unpin(old); // unpinning an unpinned archive is no error
    assertThat(old.pinPath()).doesNotExist();
    assertThat(pruner.prune("local", "src", RetentionPolicy.keepLast(1), false, null).deleted())
        .containsExactly(old.name());
    assertThat(old.path()).doesNotExist();
  }

  @Test
  void aDamagedArchiveIsKeptAndNeverLatest() throws Exception {
    clock.set(Instant.parse("2026-11-01T00:00:00Z"));
    ArchiveRef a = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    clock.set(Instant.parse("2026-11-02T00:00:00Z"));
    ArchiveRef b = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    Files.delete(b.manifestPath()); // the newest is damaged
    PruneResult r = pruner.prune("local", "src", RetentionPolicy.keepLast(1), false, null);
    assertThat(r.deleted()).isEmpty();
    assertThat(r.keptBecause().get(b.name())).contains("damaged");
    assertThat(r.keptBecause().get(a.name())).contains("newestGood");
    assertThat(tmp.resolve("repo/local/src/latest")).hasContent(a.name() + "\n");
  }

  @Test
  void theRecordOfAVerifiedArchiveThatWentMissingOutlivesPruneAndTheNextBackup() throws Exception {
    List<ArchiveRef> refs = new java.util.ArrayList<>();
    for (int day = 0; day < 4; day++) {
      clock.set(Instant.parse("2026-11-01T02:00:00Z").plus(Duration.ofDays(day)));
      refs.add(repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref());
    }
    repo.verify(refs.get(0), null);
    repo.verify(refs.get(1), null);
    repo.verify(refs.get(3), null);
    ArchiveRef lost = refs.get(1);
    ArchiveRef neverVerified = refs.get(2);
    Files.delete(lost.path());
    Files.delete(neverVerified.path());

    List<String> messages = new java.util.ArrayList<>();
    PruneResult r =
        pruner.prune(
            "local", "src", RetentionPolicy.keepLast(1), false, Fixtures.collecting(messages));
    assertThat(r.deleted()).containsExactly(refs.get(0).name());
    assertThat(r.keptBecause().get(lost.name())).containsExactly("missing");
    // published and lost before its verify ran: a loss too, not a dead writer's leftovers
    assertThat(r.keptBecause().get(neverVerified.name())).containsExactly("missing");
    assertThat(messages)
        .anyMatch(
            m ->
                m.startsWith("archive file " + lost.path() + " is missing")
                    && m.endsWith("; the prune keeps this record"));
    assertThat(lost.manifestPath()).exists();
    assertThat(lost.statePath()).exists();
    assertThat(tmp.resolve("repo/local/src/latest")).hasContent(refs.get(3).name() + "\n");

    // the next backup removes what a writer that died leaves, not the records of the losses
    clock.set(Instant.parse("2026-11-05T02:00:00Z"));
    BackupResult next = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(next.cleaned()).isEmpty();
    assertThat(repo.list("local", "src"))
        .filteredOn(ArchiveInfo::missing)
        .extracting(ArchiveInfo::name)
        .containsExactly(lost.name(), neverVerified.name());
  }

  @Test
  void aPruneRecordsWhatItDeletedAndWhatAPruneLeftHalfwayIsNoLoss() throws Exception {
    List<ArchiveRef> refs = new java.util.ArrayList<>();
    for (int day = 0; day < 3; day++) {
      clock.set(Instant.parse("2026-11-01T02:00:00Z").plus(Duration.ofDays(day)));
      refs.add(repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref());
    }
    ArchiveRef old = refs.get(0);
    ArchiveRef halfway = refs.get(1);
    ArchiveRef newest = refs.get(2);
    repo.verify(newest, null);
    // a prune that went for it and stopped after the state record and the archive
    Files.writeString(halfway.prunedPath(), "pruned 2026-11-03T00:00:00Z: no rule keeps it\n");
    Files.delete(halfway.statePath());
    Files.delete(halfway.path());
    // and one that stopped before deleting anything of an archive this prune keeps
    Files.writeString(newest.prunedPath(), "pruned 2026-11-03T00:00:00Z: no rule keeps it\n");
    assertThat(repo.list("local", "src"))
        .extracting(ArchiveInfo::name)
        .containsExactly(old.name(), newest.name());

    clock.set(Instant.parse("2026-11-04T02:00:00Z"));
    PruneResult r = repo.prune("local", "src", RetentionPolicy.keepLast(1));
    assertThat(r.deleted()).containsExactly(old.name());
    // the record that a prune deleted it outlives the archive, alone: what sync-offsite reads
    assertThat(old.prunedPath()).content().startsWith("pruned 2026-11-04T02:00:00Z: ");
    try (java.util.stream.Stream<Path> files = Files.list(old.path().getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .filteredOn(n -> n.startsWith(old.stem()))
          .containsExactly(old.stem() + ".pruned");
    }
    assertThat(newest.prunedPath()).doesNotExist();

    // the next backup removes the halfway prune's leftovers, never its record
    clock.set(Instant.parse("2026-11-05T02:00:00Z"));
    BackupResult next = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(next.cleaned()).containsExactly(halfway.stem() + ".manifest.json");
    assertThat(repo.list("local", "src")).noneMatch(ArchiveInfo::missing);
    assertThat(repo.pruned(null))
        .extracting(ArchiveRef::stem)
        .containsExactly(old.stem(), halfway.stem());
    assertThat(repo.forgetPruned(old)).isTrue();
    assertThat(old.prunedPath()).doesNotExist();
  }

  @Test
  void aPrunedArchiveLeavesNoRecordOfALoss() throws Exception {
    clock.set(Instant.parse("2026-11-01T02:00:00Z"));
    ArchiveRef old = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(old, null);
    clock.set(Instant.parse("2026-11-02T02:00:00Z"));
    ArchiveRef newer =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    repo.verify(newer, null);
    // the records that vouch for the archive go before it: a prune that stops halfway leaves an
    // unverified archive, never a verified state beside a manifest that would read as a loss
    Files.createDirectories(old.verifiedPath().resolve("stuck"));
    assertThatThrownBy(() -> repo.prune("local", "src", RetentionPolicy.keepLast(1)))
        .isInstanceOf(java.nio.file.DirectoryNotEmptyException.class);
    assertThat(old.statePath()).doesNotExist();
    assertThat(old.path()).exists();
    assertThat(repo.list("local", "src"))
        .extracting(ArchiveInfo::name, a -> a.state().state(), ArchiveInfo::missing)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(old.name(), ArchiveState.State.UNVERIFIED, false),
            org.assertj.core.groups.Tuple.tuple(newer.name(), ArchiveState.State.VERIFIED, false));
  }

  @Test
  void aSourceWithoutArchivesIsInvalidAndNamed() {
    assertThatThrownBy(
            () -> pruner.prune("local", "ghost", RetentionPolicy.keepLast(1), false, null))
        .isInstanceOf(ActionException.class)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"))
        .hasMessageContaining("set 'local', source 'ghost'")
        .hasMessageContaining(tmp.resolve("repo/local/ghost").toString());
    assertThatThrownBy(() -> pruner.prune("local", "..", RetentionPolicy.keepLast(1), false, null))
        .hasMessageContaining("not a usable name");
  }
}
