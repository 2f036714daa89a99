package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.local.BackupAction;
import dev.lifeboat.activities.local.RestoreDrillAction;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compression: zstd}: a .tar.zst whose entries are their own zstd frames, which GNU tar
 * reads as an ordinary stream and every reader of the repository handles like a .tar.gz.
 */
class ZstdArchiveTest {
  @TempDir Path tmp;
  Path src;
  Repository repo;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));

  @BeforeEach
  void tree() throws Exception {
    src = Fixtures.awkwardTree(tmp.resolve("src"));
    Files.createFile(src.resolve("empty.txt"));
    // compressible and longer than a chunk: several frames, each holding real zstd blocks
    Files.writeString(src.resolve("notebooks/table.csv"), "id,value,label\n".repeat(150_000));
    repo = new Repository(tmp.resolve("repo"), clock);
  }

  private BackupResult backup(Compression compression) throws Exception {
    clock.advance(Duration.ofHours(1));
    BackupResult r =
        repo.writeFromDirectory(
            "s", "home", src, List.of(), List.of(), false, compression, ProgressListener.NONE);
    // as the backup runbooks do: only a verified archive is copied from
    repo.verify(r.ref(), ProgressListener.NONE);
    return r;
  }

  @Test
  void restoreVerifyAndGnuTarAgreeOnEveryEntry() throws Exception {
    BackupResult b = backup(Compression.ZSTD);
    assertThat(b.ref().name()).matches("\\d{8}T\\d{6}Z\\.tar\\.zst");
    Manifest m = repo.manifest(b.ref());
    assertThat(m.compression()).isEqualTo("zstd");
    assertThat(b.ref().manifestPath().getFileName().toString())
        .isEqualTo(b.ref().stem() + ".manifest.json");
    // each entry's range is whole frames of its own: the zstd magic starts every one
    byte[] archive = Files.readAllBytes(b.ref().path());
    for (Entry e : m.entries()) {
      assertThat(archive[(int) e.memberOffset()]).as(e.path()).isEqualTo((byte) 0x28);
      assertThat(archive[(int) e.memberOffset() + 3]).as(e.path()).isEqualTo((byte) 0xfd);
    }

    assertThat(repo.verify(b.ref(), ProgressListener.NONE).files()).isEqualTo(b.files());
    Path ours = tmp.resolve("ours");
    repo.restoreToDirectory(repo.resolve("s", "home", null), ours, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(ours)).isEqualTo(Fixtures.describe(src));
    assertThat(Files.isSameFile(ours.resolve("bin/run.sh"), ours.resolve("bin/run-hardlink.sh")))
        .isTrue();

    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "--zstd", "-xf", b.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    Fixtures.Run diff =
        Fixtures.run(tmp, "diff", "-r", "--no-dereference", ours.toString(), gnu.toString());
    assertThat(diff.exit()).as(diff.out() + diff.err()).isZero();
    assertThat(Fixtures.describe(gnu)).isEqualTo(Fixtures.describe(ours));
    Fixtures.Run t = Fixtures.run(tmp, "zstd", "-t", "-q", b.ref().path().toString());
    assertThat(t.exit()).as(t.err()).isZero();

    // copy as tar gives exactly the stream zstd decodes, after the folder's own "./" header
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    repo.copyAsTar(b.ref(), plain);
    byte[] rootHeader = SingleFile.rootHeader(repo.manifest(b.ref()).root());
    assertThat(rootHeader).hasSize(512);
    assertThat(java.util.Arrays.copyOf(plain.toByteArray(), 512)).isEqualTo(rootHeader);
    ByteArrayOutputStream zstd = new ByteArrayOutputStream();
    Fixtures.Run dc = Fixtures.run(tmp, null, zstd, "zstd", "-dc", b.ref().path().toString());
    assertThat(dc.exit()).as(dc.err()).isZero();
    assertThat(java.util.Arrays.copyOfRange(plain.toByteArray(), 512, plain.size()))
        .isEqualTo(zstd.toByteArray());
  }

  @Test
  void oneFileIsReadFromItsOwnFramesAlone() throws Exception {
    BackupResult b = backup(Compression.ZSTD);
    List<Entry> files =
        repo.manifest(b.ref()).entries().stream()
            .filter(e -> e.type() == Manifest.EntryType.FILE)
            .toList();
    Entry middle = files.get(files.size() / 2);
    // bytes outside the entry's frames do not matter to it: spoil the first and last entries'
    Entry first = repo.manifest(b.ref()).entries().get(0);
    ArchiveRoundTripTest.flip(b.ref().path(), first.memberOffset() + first.memberLength() / 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long n = repo.readFile(b.ref(), middle.path(), out);
    assertThat(n).isEqualTo(middle.size());
    assertThat(Fixtures.sha256(out.toByteArray())).isEqualTo(middle.sha256());
    assertThat(out.toByteArray()).isEqualTo(Files.readAllBytes(src.resolve(middle.path())));

    ByteArrayOutputStream big = new ByteArrayOutputStream();
    repo.readFile(b.ref(), "data/big.bin", big);
    assertThat(big.toByteArray()).isEqualTo(Files.readAllBytes(src.resolve("data/big.bin")));
  }

  @Test
  void aFlippedByteFailsVerifyAndRestoreAndMarksTheArchiveDamaged() throws Exception {
    BackupResult b = backup(Compression.ZSTD);
    Entry csv =
        repo.manifest(b.ref()).entries().stream()
            .filter(e -> e.path().equals("notebooks/table.csv"))
            .findFirst()
            .orElseThrow();
    Fixtures.damageMember(b.ref().path(), csv);

    assertThatThrownBy(() -> repo.verify(b.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining(b.ref().name())
        .hasMessageContaining("notebooks/table.csv");
    Manifest m = repo.manifest(b.ref());
    assertThat(ArchiveStates.read(b.ref(), m, null).isDamaged()).isTrue();
    assertThat(repo.list("s", "home"))
        .singleElement()
        .satisfies(a -> assertThat(a.damaged()).isTrue());

    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("notebooks/table.csv");
    assertThat(target).as("the folder the restore made is gone").doesNotExist();
    assertThatThrownBy(
            () -> repo.readFile(b.ref(), "notebooks/table.csv", new ByteArrayOutputStream()))
        .isInstanceOf(DamagedArchive.class);
    // and GNU tar refuses it too: the frame checksum is there
    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    assertThat(Fixtures.run(gnu, "tar", "--zstd", "-xf", b.ref().path().toString()).exit())
        .isNotZero();
  }

  @Test
  void aRenamedArchiveWhoseManifestSaysOtherwiseIsDamage() throws Exception {
    BackupResult b = backup(Compression.ZSTD);
    Path gz = b.ref().path().resolveSibling(b.ref().stem() + ".tar.gz");
    Files.move(b.ref().path(), gz);
    ArchiveRef renamed = repo.resolve("s", "home", b.ref().stem());
    assertThat(renamed.name()).endsWith(".tar.gz");
    assertThatThrownBy(() -> repo.verify(renamed, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("manifest says compression 'zstd'");
  }

  @Test
  void incrementalReusesOnlyFromAnArchiveOfTheSameKind() throws Exception {
    BackupResult gzip = backup(Compression.GZIP);
    BackupResult first = backup(Compression.ZSTD);
    assertThat(first.reusedFiles()).isZero();
    assertThat(first.reusedFrom()).isNull();

    Files.writeString(
        src.resolve("notebooks/with space.txt"), "changed\n", StandardOpenOption.APPEND);
    BackupResult second = backup(Compression.ZSTD);
    assertThat(second.reusedFiles()).isEqualTo(second.files() - 1);
    assertThat(second.reusedFrom()).isEqualTo(first.ref().name());
    assertThat(repo.verify(second.ref(), ProgressListener.NONE).files()).isEqualTo(second.files());

    // standalone: GNU tar restores it with the earlier archives gone
    Files.delete(first.ref().path());
    Files.delete(gzip.ref().path());
    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "--zstd", "-xf", second.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(gnu)).isEqualTo(Fixtures.describe(src));

    // back to gzip: nothing from the zstd archive
    BackupResult again = backup(Compression.GZIP);
    assertThat(again.ref().name()).endsWith(".tar.gz");
    assertThat(again.reusedFiles()).isZero();
    assertThat(repo.verify(again.ref(), ProgressListener.NONE).files()).isEqualTo(again.files());
  }

  @Test
  void listingResolvingLeftoversAndPruneSeeZstdArchives() throws Exception {
    BackupResult gzip = backup(Compression.GZIP);
    BackupResult zstd = backup(Compression.ZSTD);
    assertThat(repo.list("s", "home"))
        .extracting(ArchiveInfo::name)
        .containsExactly(gzip.ref().name(), zstd.ref().name());
    assertThat(repo.resolve("s", "home", null).name()).isEqualTo(zstd.ref().name());
    assertThat(repo.resolve("s", "home", zstd.ref().stem()).name()).isEqualTo(zstd.ref().name());
    assertThat(repo.resolve("s", "home", zstd.ref().name()).path()).isEqualTo(zstd.ref().path());
    assertThatThrownBy(() -> repo.resolve("s", "home", "../home/" + zstd.ref().stem()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not an archive name");

    // a zstd archive's sidecars are not leftovers; those of one a writer never renamed into
    // place are, its partial file last
    Path orphan =
        zstd.ref().path().resolveSibling("20200101T000000Z" + ArchiveNames.MANIFEST_SUFFIX);
    Files.writeString(orphan, "{}");
    Path partial = orphan.resolveSibling(ArchiveNames.partial("20200101T000000Z.tar.zst"));
    Files.writeString(partial, "half");
    assertThat(repo.cleanLeftovers())
        .containsExactly("s/home/" + orphan.getFileName(), "s/home/" + partial.getFileName());
    assertThat(zstd.ref().manifestPath()).exists();
    assertThat(zstd.ref().statePath()).exists();

    PruneResult pruned = repo.prune("s", "home", RetentionPolicy.keepLast(1));
    assertThat(pruned.deleted()).containsExactly(gzip.ref().name());
    repo.prune("s", "home", RetentionPolicy.keepLast(1));
    assertThat(repo.list("s", "home"))
        .extracting(ArchiveInfo::name)
        .containsExactly(zstd.ref().name());
  }

  @Test
  void theBackupActionWritesATarZstAndRefusesAnUnknownCompression() throws Exception {
    LocalActionContext ctx = new LocalActionContext("s");
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new BackupAction(repo), Map.of("path", src.toString(), "compression", "zstd"), ctx);
    assertThat((String) out.get("archive")).endsWith(".tar.zst");
    assertThat(Path.of((String) out.get("path"))).exists();

    Path other = tmp.resolve("repo2");
    Repository empty = new Repository(other);
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new BackupAction(empty),
                    Map.of("path", src.toString(), "compression", "lz4"),
                    ctx))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("compression 'lz4'")
        .hasMessageContaining("gzip")
        .hasMessageContaining("zstd");
    assertThat(other).doesNotExist();
    assertThatThrownBy(() -> Compression.fromArgument("ZSTD"))
        .hasMessageContaining("compression 'ZSTD' is unknown");
    assertThat(Compression.fromArgument(null)).isEqualTo(Compression.GZIP);
  }

  @Test
  void aRestoreDrillOfAZstdArchiveLeavesItsEvidenceBesideIt() throws Exception {
    BackupResult b = backup(Compression.ZSTD);
    Path scratch = tmp.resolve("scratch");
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new RestoreDrillAction(repo),
            Map.of("set", "s", "scratch", scratch.toString()),
            new LocalActionContext("drill"));
    assertThat(out).containsEntry("ok", true).containsEntry("restoredFiles", b.files());
    assertThat(b.ref().drillPath().getFileName().toString())
        .isEqualTo(b.ref().stem() + ".drill.json");
    assertThat(repo.lastDrill(b.ref())).get().satisfies(d -> assertThat(d.passed()).isTrue());
    try (Stream<Path> left = Files.list(scratch)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aPlainTarStreamCanBecomeAZstdArchive() throws Exception {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    Fixtures.Run c = Fixtures.run(src, null, tar, "tar", "cf", "-", ".");
    assertThat(c.exit()).as(c.err()).isZero();
    BackupResult b =
        repo.writeFromTar(
            "s",
            "pod",
            new java.io.ByteArrayInputStream(tar.toByteArray()),
            Compression.ZSTD,
            ProgressListener.NONE);
    assertThat(b.ref().name()).endsWith(".tar.zst");
    assertThat(repo.verify(b.ref(), ProgressListener.NONE).files()).isEqualTo(b.files());
    try (Stream<Path> s = Files.list(b.ref().path().getParent())) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .contains(b.ref().stem() + ".manifest.json", b.ref().stem() + ".state.json");
    }
  }
}
