package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup after a small change reads only the changed files, copies the rest from the previous
 * archive, and the result is still a standalone .tar.gz that GNU tar restores alone and that verify
 * checks byte for byte.
 */
class IncrementalBackupTest {
  @TempDir Path tmp;
  Path src;
  Repository repo;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));
  List<String> reads = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void tree() throws Exception {
    src = Fixtures.awkwardTree(tmp.resolve("src"));
    Random r = new Random(7);
    for (int i = 0; i < 100; i++) {
      byte[] data = new byte[1000 + r.nextInt(20_000)];
      // half text-like, half noise, like notebooks next to weights
      if (i % 2 == 0) {
        r.nextBytes(data);
      } else {
        java.util.Arrays.fill(data, (byte) ('a' + i % 26));
      }
      Files.createDirectories(src.resolve("many"));
      Files.write(src.resolve("many/f" + i + ".bin"), data);
    }
    repo = new Repository(tmp.resolve("repo"), clock);
    repo.onFileRead(reads::add);
  }

  /** A backup followed by its verify, as the backup runbooks run it. */
  private BackupResult backup(boolean full) throws Exception {
    BackupResult r = write(full);
    repo.verify(r.ref(), ProgressListener.NONE);
    return r;
  }

  /** A backup no one verifies. */
  private BackupResult write(boolean full) throws Exception {
    clock.advance(Duration.ofHours(1));
    reads.clear();
    return repo.writeFromDirectory(
        "s", "home", src, List.of(), List.of(), full, ProgressListener.NONE);
  }

  /** The tree's "many" folder as a pod streams it: GNU tar's bytes. */
  private byte[] podTar() throws Exception {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    Fixtures.Run run = Fixtures.run(src, null, tar, "tar", "cf", "-", "many");
    assertThat(run.exit()).as(run.err()).isZero();
    return tar.toByteArray();
  }

  /** A backup of that stream, as a pod or PVC backup writes it. */
  private BackupResult fromPod(byte[] tar) throws Exception {
    return repo.writeFromTar(
        "s", "pod", new java.io.ByteArrayInputStream(tar), ProgressListener.NONE);
  }

  private Manifest.Entry entry(BackupResult b, String path) throws Exception {
    return repo.manifest(b.ref()).entries().stream()
        .filter(e -> e.path().equals(path))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aOnePercentChangeReadsOnlyTheChangedFilesAndTheResultStandsAlone() throws Exception {
    BackupResult first = backup(false);
    assertThat(first.reusedFiles()).isZero();
    long files = first.files();
    assertThat(reads).hasSize((int) files);

    Files.writeString(src.resolve("many/f3.bin"), "rewritten\n", StandardOpenOption.APPEND);
    Files.writeString(src.resolve("many/new.txt"), "new file\n");
    BackupResult second = backup(false);

    assertThat(reads).containsExactlyInAnyOrder("many/f3.bin", "many/new.txt");
    assertThat(second.files()).isEqualTo(files + 1);
    assertThat(second.reusedFiles()).isEqualTo(files - 1);
    assertThat(second.reusedFrom()).isEqualTo(first.ref().name());
    assertThat(second.reusedBytes())
        .isEqualTo(
            second.bytes()
                - Files.size(src.resolve("many/f3.bin"))
                - Files.size(src.resolve("many/new.txt")));
    assertThat(Fixtures.sha256(Files.readAllBytes(second.ref().path()))).isEqualTo(second.sha256());

    // standalone: GNU tar restores it with the first archive gone
    Files.delete(first.ref().path());
    Path out = Files.createDirectories(tmp.resolve("out"));
    Fixtures.Run tar = Fixtures.run(out, "tar", "xzf", second.ref().path().toString());
    assertThat(tar.exit()).as(tar.err()).isZero();
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(src));
    Fixtures.Run gzip = Fixtures.run(out, "gzip", "-t", second.ref().path().toString());
    assertThat(gzip.exit()).as(gzip.err()).isZero();

    VerifyResult v = repo.verify(second.ref(), ProgressListener.NONE);
    assertThat(v.files()).isEqualTo(files + 1);
    // one file read through the manifest's offsets, from a copied member
    java.io.ByteArrayOutputStream one = new java.io.ByteArrayOutputStream();
    repo.readFile(second.ref(), "many/f10.bin", one);
    assertThat(one.toByteArray()).isEqualTo(Files.readAllBytes(src.resolve("many/f10.bin")));
    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(second.ref(), restored, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(src));

    // and the chain goes on: a third backup reuses the second's copied members
    BackupResult third = backup(false);
    assertThat(reads).isEmpty();
    assertThat(third.reusedFiles()).isEqualTo(third.files());
    assertThat(Files.readAllBytes(third.ref().path()))
        .isEqualTo(Files.readAllBytes(second.ref().path()));
  }

  @Test
  void aMetadataChangeOrFullTrueReadsTheFileAgain() throws Exception {
    BackupResult first = backup(false);
    // same bytes, same mtime, new ctime: a chmod there and back
    Path f = src.resolve("many/f20.bin");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    backup(false);
    assertThat(reads).containsExactly("many/f20.bin");

    BackupResult full = backup(true);
    assertThat(full.reusedFiles()).isZero();
    assertThat(reads).hasSize((int) first.files());
  }

  /** The file's modification time as the scan reads it: to the nanosecond here. */
  private Instant mtime(String path) throws Exception {
    return FileStat.of(src.resolve(path)).mtime();
  }

  /** The manifest of {@code b} with {@code edit} applied to each entry, as if written so. */
  private void rewriteEntries(BackupResult b, java.util.function.UnaryOperator<Manifest.Entry> edit)
      throws Exception {
    Manifest m = repo.manifest(b.ref());
    Manifest edited =
        m.with(m.entries().stream().map(edit).toList(), m.totals(), m.archiveSha256(), m.root());
    Files.write(b.ref().manifestPath(), Json.COMPACT.writeValueAsBytes(edited));
  }

  private static Manifest.Entry withMtime(Manifest.Entry e, Instant mtime) {
    return new Manifest.Entry(
        e.path(),
        e.type(),
        e.mode(),
        mtime,
        e.size(),
        e.sha256(),
        e.linkTarget(),
        e.tarOffset(),
        e.memberOffset(),
        e.memberLength(),
        e.ctime(),
        e.inode(),
        e.memberCrc32c());
  }

  /**
   * Manifests written before Lifeboat kept nanoseconds hold whole seconds: the first backup after
   * the upgrade still copies every unchanged file (ctime and inode are compared exactly) and
   * records its time to the nanosecond, which the next one compares exactly.
   */
  @Test
  void anArchiveWithWholeSecondTimesStillGivesEveryUnchangedFileAndNanosecondsFromThen()
      throws Exception {
    Path f = src.resolve("many/f30.bin");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-02T03:04:05.123456789Z")));
    org.junit.jupiter.api.Assumptions.assumeTrue(
        mtime("many/f30.bin").getNano() == 123_456_789, "this file system keeps nanoseconds");
    BackupResult old = write(false);
    assertThat(entry(old, "many/f30.bin").mtime()).isEqualTo(mtime("many/f30.bin"));
    // as an older Lifeboat wrote it, then verified
    rewriteEntries(
        old, e -> withMtime(e, e.mtime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
    assertThat(entry(old, "many/f30.bin").mtime()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(repo.verify(old.ref(), ProgressListener.NONE).files()).isEqualTo(old.files());

    BackupResult upgraded = backup(false);
    assertThat(reads).isEmpty();
    assertThat(upgraded.reusedFiles()).isEqualTo(upgraded.files());
    assertThat(upgraded.reusedFrom()).isEqualTo(old.ref().name());
    for (Manifest.Entry e : repo.manifest(upgraded.ref()).entries()) {
      assertThat(e.mtime()).as(e.path()).isEqualTo(FileStat.of(src.resolve(e.path())).mtime());
    }

    BackupResult next = backup(false);
    assertThat(reads).isEmpty();
    assertThat(next.reusedFiles()).isEqualTo(next.files());
    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(next.ref(), restored, false, ProgressListener.NONE);
    assertThat(FileStat.of(restored.resolve("many/f30.bin")).mtime())
        .isEqualTo(Instant.parse("2026-01-02T03:04:05.123456789Z"));
  }

  /**
   * A file whose time moves within its second is read again: the change of time moves its ctime,
   * and a time recorded with a fraction is compared exactly (a manifest whose fraction differs,
   * ctime and inode the same, has the file read).
   */
  @Test
  void aFileTouchedToAnotherFractionOfTheSameSecondIsReadAgain() throws Exception {
    Path f = src.resolve("many/f31.bin");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-02T03:04:05.25Z")));
    org.junit.jupiter.api.Assumptions.assumeTrue(
        mtime("many/f31.bin").getNano() != 0, "this file system keeps fractions of a second");
    backup(false);
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-02T03:04:05.75Z")));
    BackupResult touched = backup(false);
    assertThat(reads).containsExactly("many/f31.bin");
    assertThat(entry(touched, "many/f31.bin").mtime())
        .isEqualTo(Instant.parse("2026-01-02T03:04:05.75Z"));

    BackupResult crafted = write(false);
    assertThat(reads).isEmpty();
    rewriteEntries(
        crafted,
        e ->
            e.path().equals("many/f31.bin")
                ? withMtime(e, Instant.parse("2026-01-02T03:04:05.5Z"))
                : e);
    // the header's seconds are the manifest's: verify passes
    repo.verify(crafted.ref(), ProgressListener.NONE);
    backup(false);
    assertThat(reads).containsExactly("many/f31.bin");
  }

  @Test
  void aDamagedPreviousArchiveIsNotReused() throws Exception {
    BackupResult first = backup(false);
    repo.markDamaged(first.ref(), "verify", "test: damaged");
    BackupResult second = backup(false);
    assertThat(second.reusedFiles()).isZero();
    assertThat(second.reusedFrom()).isNull();
    assertThat(reads).hasSize((int) first.files());
  }

  @Test
  void aFlippedByteInAnUnverifiedArchiveNeverReachesTheNextBackup() throws Exception {
    BackupResult first = write(false);
    Fixtures.damageMember(first.ref().path(), entry(first, "many/f11.bin"));
    BackupResult second = write(false);
    assertThat(second.reusedFiles()).isZero();
    assertThat(second.reusedFrom()).isNull();
    assertThat(reads).hasSize((int) first.files());
    VerifyResult v = repo.verify(second.ref(), ProgressListener.NONE);
    assertThat(v.files()).isEqualTo(second.files());
  }

  @Test
  void reuseComesFromTheNewestVerifiedArchiveNotANewerUncheckedOne() throws Exception {
    BackupResult verified = backup(false);
    Files.writeString(src.resolve("many/f5.bin"), "changed\n", StandardOpenOption.APPEND);
    BackupResult unchecked = write(false);
    assertThat(unchecked.reusedFrom()).isEqualTo(verified.ref().name());
    BackupResult third = write(false);
    // the unchecked archive is newer, but only the verified one is copied from; f5 changed since
    assertThat(third.reusedFrom()).isEqualTo(verified.ref().name());
    assertThat(reads).containsExactly("many/f5.bin");
    repo.verify(third.ref(), ProgressListener.NONE);
  }

  @Test
  void rotAfterAVerifyIsCaughtAsItIsCopiedAndTheBackupStillSucceeds() throws Exception {
    BackupResult first = backup(false);
    Manifest.Entry victim = entry(first, "many/f11.bin");
    Fixtures.damageMember(first.ref().path(), victim);
    List<String> messages = Collections.synchronizedList(new ArrayList<>());
    clock.advance(Duration.ofHours(1));
    reads.clear();
    BackupResult second =
        repo.writeFromDirectory(
            "s", "home", src, List.of(), List.of(), false, Fixtures.collecting(messages));
    // nothing of the rotten archive reached the new one: every file was read again
    assertThat(second.reusedFrom()).isNull();
    assertThat(second.reusedFiles()).isZero();
    assertThat(reads).hasSize((int) first.files());
    assertThat(repo.verify(second.ref(), ProgressListener.NONE).files()).isEqualTo(first.files());
    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(second.ref(), restored, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(src));
    // the rotten archive is marked damaged, saying where; the step's log says why it started again
    ArchiveState state = ArchiveStates.read(first.ref(), repo.manifest(first.ref()), null);
    assertThat(state.isDamaged()).isTrue();
    assertThat(state.by()).isEqualTo("backup");
    assertThat(state.error())
        .contains(first.ref().name(), "CRC-32C", "offset " + victim.memberOffset());
    assertThat(messages).anyMatch(m -> m.startsWith("starting again") && m.contains("CRC-32C"));
    // the failed attempt left nothing behind: the two archives and their files only
    try (var files = Files.list(first.ref().path().getParent())) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.contains(".partial")))
          .isEmpty();
    }
    assertThat(repo.list("s", "home")).hasSize(2);
  }

  @Test
  void rotInAnOlderArchiveMakesTheBackupCopyFromTheNewestGoodOne() throws Exception {
    BackupResult older = backup(false);
    Files.writeString(src.resolve("many/f3.bin"), "changed\n", StandardOpenOption.APPEND);
    BackupResult newer = backup(false);
    // rot in the newer archive, in a member the older one does not share with it
    Fixtures.damageMember(newer.ref().path(), entry(newer, "many/f3.bin"));
    Files.writeString(src.resolve("many/f5.bin"), "changed\n", StandardOpenOption.APPEND);
    BackupResult third = write(false);
    assertThat(ArchiveStates.read(newer.ref(), repo.manifest(newer.ref()), null).isDamaged())
        .isTrue();
    // copied from the older archive: only what changed since it was read
    assertThat(third.reusedFrom()).isEqualTo(older.ref().name());
    // (the attempt that met the rot may have read f5 already)
    assertThat(java.util.Set.copyOf(reads)).containsExactlyInAnyOrder("many/f3.bin", "many/f5.bin");
    assertThat(repo.verify(third.ref(), ProgressListener.NONE).files()).isEqualTo(third.files());
  }

  @Test
  void everyEntryRecordsTheCrc32cOfItsMemberRunAsTheFileHoldsIt() throws Exception {
    BackupResult first = backup(false);
    Files.writeString(src.resolve("many/f3.bin"), "changed\n", StandardOpenOption.APPEND);
    BackupResult second = backup(false);
    for (BackupResult b : List.of(first, second)) {
      Manifest m = repo.manifest(b.ref());
      assertThat(m.formatVersion()).isEqualTo(5);
      byte[] archive = Files.readAllBytes(b.ref().path());
      assertThat(m.entries())
          .allSatisfy(
              e -> {
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(archive, (int) e.memberOffset(), (int) e.memberLength());
                assertThat(e.memberCrc32c()).as(e.path()).isEqualTo(crc.getValue());
              });
    }
  }

  @Test
  void aFormatThreeManifestWithoutMemberChecksumsHasNoMembersCopied() throws Exception {
    Files.write(src.resolve("many/large.bin"), new byte[200_000]);
    BackupResult first = backup(false);
    Manifest m = repo.manifest(first.ref());
    Manifest v3 =
        new Manifest(
            3,
            m.set(),
            m.source(),
            m.archive(),
            m.created(),
            m.compression(),
            m.entries().stream().map(e -> e.withMemberCrc32c(null)).toList(),
            m.totals(),
            m.archiveSha256());
    Files.write(first.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(v3));
    BackupResult second = backup(false);
    // files with members of their own are read again; a pack's small files may still be taken
    // from its decoded bytes, which are checked against their SHA-256 (not copied as members)
    assertThat(reads).contains("many/large.bin");
    assertThat(second.reusedFiles()).isLessThan(second.files());
    // the new archive records them, so the one after copies again
    BackupResult third = backup(false);
    assertThat(third.reusedFiles()).isEqualTo(third.files());
  }

  @Test
  void aTarStreamMeetingRotFailsSayingSoAndItsNextAttemptReadsEverything() throws Exception {
    byte[] tar = podTar();
    BackupResult first = fromPod(tar);
    repo.verify(first.ref(), ProgressListener.NONE);
    Fixtures.damageMember(first.ref().path(), entry(first, "many/f12.bin"));
    clock.advance(Duration.ofHours(1));
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> fromPod(tar));
    assertThat(t)
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining(first.ref().name())
        .hasMessageContaining("CRC-32C")
        .hasMessageContaining("the next attempt does not copy from it");
    assertThat(ArchiveStates.read(first.ref(), repo.manifest(first.ref()), null).isDamaged())
        .isTrue();
    clock.advance(Duration.ofHours(1));
    BackupResult again = fromPod(tar);
    assertThat(again.reusedFiles()).isZero();
    assertThat(repo.verify(again.ref(), ProgressListener.NONE).files()).isEqualTo(again.files());
  }

  @Test
  void aFormatOneManifestWithoutCtimeAndInodeGivesNothingToReuse() throws Exception {
    BackupResult first = backup(false);
    Manifest m = repo.manifest(first.ref());
    List<Manifest.Entry> old =
        m.entries().stream()
            .map(
                e ->
                    new Manifest.Entry(
                        e.path(),
                        e.type(),
                        e.mode(),
                        e.mtime(),
                        e.size(),
                        e.sha256(),
                        e.linkTarget(),
                        e.tarOffset(),
                        e.memberOffset(),
                        e.memberLength()))
            .toList();
    Manifest v1 =
        new Manifest(
            1,
            m.set(),
            m.source(),
            m.archive(),
            m.created(),
            m.compression(),
            old,
            m.totals(),
            m.archiveSha256());
    Files.write(first.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(v1));
    BackupResult second = backup(false);
    assertThat(second.reusedFiles()).isZero();
    assertThat(reads).hasSize((int) first.files());
  }

  @Test
  void aTarStreamFromAPodReusesByContentAndRecordsNoInode() throws Exception {
    byte[] tar = podTar();
    BackupResult first = fromPod(tar);
    repo.verify(first.ref(), ProgressListener.NONE);
    clock.advance(Duration.ofHours(1));
    BackupResult again = fromPod(tar);
    // the stream has no ctime or inode: copied on its digest and header (TarStreamReuseTest)
    assertThat(again.reusedFiles()).isEqualTo(again.files());
    assertThat(repo.manifest(again.ref()).entries())
        .allSatisfy(e -> assertThat(e.inode()).isNull());
  }
}
