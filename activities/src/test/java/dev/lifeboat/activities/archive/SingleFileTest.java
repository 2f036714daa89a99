package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One file out of an archive by the offset of its gzip member, without reading the rest, and the
 * whole archive as a plain tar stream.
 */
class SingleFileTest {
  @TempDir Path tmp;
  Path source;
  Repository repo;
  BackupResult backup;

  @BeforeEach
  void backUp() throws Exception {
    source = Fixtures.awkwardTree(tmp.resolve("src"));
    StringBuilder text = new StringBuilder();
    Random random = new Random(3);
    while (text.length() < 700_000) {
      text.append("step ")
          .append(random.nextInt(1000))
          .append(" größe ")
          .append(random.nextDouble())
          .append('\n');
    }
    Files.writeString(source.resolve("data/log.txt"), text);
    repo =
        new Repository(
            tmp.resolve("repo"), Clock.systemUTC(), new GzipMembers.Settings(2, 64 * 1024, null));
    backup =
        repo.writeFromDirectory(
            "local", "work", source, List.of(), List.of(), ProgressListener.NONE);
  }

  @Test
  void readsSmallChunkedAndHardlinkedFiles() throws Exception {
    for (String path :
        List.of(
            Fixtures.UNICODE,
            "data/log.txt",
            "data/big.bin",
            "bin/run.sh",
            Fixtures.LONG_DIR + "/" + Fixtures.LONG_FILE)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long n = repo.readFile(backup.ref(), path, out);
      assertThat(out.toByteArray()).as(path).isEqualTo(Files.readAllBytes(source.resolve(path)));
      assertThat(n).isEqualTo(out.size());
    }
  }

  @Test
  void readsOnlyItsOwnMember() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    Entry big = entry(m, "data/big.bin");
    // damage every other member's middle: the file still reads, so nothing else was read
    java.util.Set<Long> damaged = new java.util.HashSet<>();
    for (Entry e : m.entries()) {
      if (!e.path().equals("data/log.txt")
          && e.memberLength() > 40
          && damaged.add(e.memberOffset())) {
        Fixtures.damageMember(backup.ref().path(), e);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    repo.readFile(backup.ref(), "data/log.txt", out);
    assertThat(out.toByteArray()).isEqualTo(Files.readAllBytes(source.resolve("data/log.txt")));
    assertThatThrownBy(() -> repo.readFile(backup.ref(), big.path(), new ByteArrayOutputStream()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("data/big.bin");
  }

  @Test
  void directoriesSymlinksAndUnknownPathsAreRefused() {
    assertThatThrownBy(() -> repo.readFile(backup.ref(), "empty", new ByteArrayOutputStream()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not a file");
    assertThatThrownBy(
            () -> repo.readFile(backup.ref(), "link-to-space", new ByteArrayOutputStream()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not a file");
    assertThatThrownBy(
            () -> repo.readFile(backup.ref(), "no/such/file", new ByteArrayOutputStream()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no entry 'no/such/file'");
  }

  @Test
  void aHardlinkGivesItsTargetsContent() throws Exception {
    SingleFile single = new SingleFile(new Catalog(repo.root(), List.of()));
    Manifest m = repo.manifest(backup.ref());
    assertThat(m.entries())
        .as("one of the two names is archived as a hardlink")
        .anyMatch(e -> e.type() == Manifest.EntryType.HARDLINK);
    byte[] content = Files.readAllBytes(source.resolve("bin/run.sh"));
    for (String path : List.of("bin/run.sh", "bin/run-hardlink.sh", "./bin/run-hardlink.sh")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThat(single.readFile(backup.ref(), path, out)).isEqualTo(content.length);
      assertThat(out.toByteArray()).as(path).isEqualTo(content);
    }
  }

  @Test
  void aDamagedMemberFailsNamingTheEntryAndOnlyTheFacadeRecordsIt() throws Exception {
    Entry log = entry(repo.manifest(backup.ref()), "data/log.txt");
    Fixtures.damageMember(backup.ref().path(), log);
    SingleFile single = new SingleFile(new Catalog(repo.root(), List.of()));
    assertThatThrownBy(
            () -> single.readFile(backup.ref(), "data/log.txt", new ByteArrayOutputStream()))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("data/log.txt");
    assertThat(damaged()).as("SingleFile reads; recording damage is the facade's").isFalse();

    assertThatThrownBy(
            () -> repo.readFile(backup.ref(), "data/log.txt", new ByteArrayOutputStream()))
        .isInstanceOf(DamagedArchive.class);
    assertThat(damaged()).isTrue();
  }

  @Test
  void aManifestPlacingAMemberOutsideTheArchiveIsDamageNotACrash() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    for (long offset : new long[] {-5, Files.size(backup.ref().path()) + 10}) {
      List<Entry> moved =
          m.entries().stream()
              .map(
                  e ->
                      e.path().equals("data/log.txt")
                          ? new Entry(
                              e.path(),
                              e.type(),
                              e.mode(),
                              e.mtime(),
                              e.size(),
                              e.sha256(),
                              e.linkTarget(),
                              e.tarOffset(),
                              offset,
                              e.memberLength(),
                              e.ctime(),
                              e.inode())
                          : e)
              .toList();
      Manifest crafted =
          new Manifest(
              m.formatVersion(),
              m.set(),
              m.source(),
              m.archive(),
              m.created(),
              m.compression(),
              moved,
              m.totals(),
              m.archiveSha256());
      RepositoryFiles.writeAtomically(
          backup.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(crafted));
      assertThatThrownBy(
              () -> repo.readFile(backup.ref(), "data/log.txt", new ByteArrayOutputStream()))
          .isInstanceOf(DamagedArchive.class)
          .hasMessageContaining("data/log.txt")
          .hasMessageMatching(
              offset < 0
                  ? "(?s).*has a negative offset or length.*"
                  : "(?s).*outside the archive.*");
    }
  }

  @Test
  void copyAsTarChecksTheArchiveChecksumAtTheEnd() throws Exception {
    SingleFile single = new SingleFile(new Catalog(repo.root(), List.of()));
    ByteArrayOutputStream plain = new ByteArrayOutputStream();
    long n = single.copyAsTar(backup.ref(), plain);
    assertThat(n).isEqualTo(plain.size()).isPositive();
    assertThat(n % 512).as("whole tar blocks").isZero();

    // a manifest that expects other archive bytes: the stream goes out, then the call fails
    Manifest m = repo.manifest(backup.ref());
    Path manifest = backup.ref().manifestPath();
    Files.writeString(
        manifest, Files.readString(manifest).replace(m.archiveSha256(), "0".repeat(64)));
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    assertThatThrownBy(() -> single.copyAsTar(backup.ref(), again))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("the archive checksum differs from the manifest");
    assertThat(again.size()).isEqualTo(plain.size());
  }

  private boolean damaged() throws Exception {
    return repo.list("local", "work").get(0).damaged();
  }

  private static Entry entry(Manifest m, String path) {
    return m.entries().stream().filter(e -> e.path().equals(path)).findFirst().orElseThrow();
  }
}
