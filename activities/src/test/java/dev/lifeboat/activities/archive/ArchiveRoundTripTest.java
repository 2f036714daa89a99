package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.Fixtures.LONG_DIR;
import static dev.lifeboat.activities.archive.Fixtures.LONG_FILE;
import static dev.lifeboat.activities.archive.Fixtures.UNICODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveRoundTripTest {
  @TempDir Path tmp;
  Path source;
  Repository repo;
  BackupResult backup;
  List<long[]> progress = new ArrayList<>();

  @BeforeEach
  void backUp() throws Exception {
    source = Fixtures.awkwardTree(tmp.resolve("src"));
    repo = new Repository(tmp.resolve("repo"));
    backup =
        repo.writeFromDirectory(
            "local",
            "work",
            source,
            List.of(),
            List.of(),
            (done, total, files) -> progress.add(new long[] {done, total, files}));
  }

  @Test
  void gnuTarRestoresEverythingWeArchived() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("gnu"));
    Fixtures.Run x = Fixtures.run(out, "tar", "xzf", backup.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(source));
    assertThat(Files.isSameFile(out.resolve("bin/run.sh"), out.resolve("bin/run-hardlink.sh")))
        .isTrue();

    Fixtures.Run list = Fixtures.run(tmp, "tar", "tzf", backup.ref().path().toString());
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out().lines())
        .contains(
            UNICODE,
            LONG_DIR + "/" + LONG_FILE,
            "empty/nested-empty/",
            "notebooks/with space.txt",
            "link-to-space");
    assertThat((LONG_DIR + "/" + LONG_FILE).length()).isGreaterThan(100);

    Fixtures.Run gz = Fixtures.run(tmp, "gzip", "-t", backup.ref().path().toString());
    assertThat(gz.exit()).as(gz.err()).isZero();
  }

  @Test
  void ownRestoreGivesTheSameTree() throws Exception {
    Path out = tmp.resolve("restored");
    RestoreResult r =
        repo.restoreToDirectory(
            repo.resolve("local", "work", null), out, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(source));
    assertThat(Files.isSameFile(out.resolve("bin/run.sh"), out.resolve("bin/run-hardlink.sh")))
        .isTrue();
    assertThat(r.files()).isEqualTo(backup.files());
    assertThat(r.bytes()).isEqualTo(backup.bytes());
  }

  @Test
  void manifestRecordsEveryEntryWithDigestsAndTotals() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    assertThat(m.formatVersion()).isEqualTo(5);
    assertThat(m.root()).isNotNull();
    assertThat(m.entries().stream().filter(e -> e.type() == Manifest.EntryType.FILE))
        .allSatisfy(e -> assertThat(e.ctime()).isNotNull());
    assertThat(m.set()).isEqualTo("local");
    assertThat(m.source()).isEqualTo("work");
    assertThat(backup.ref().name()).matches("\\d{8}T\\d{6}Z\\.tar\\.gz");
    Map<String, Entry> byPath = new java.util.HashMap<>();
    m.entries().forEach(e -> byPath.put(e.path(), e));
    Entry nb = byPath.get(UNICODE);
    assertThat(nb.type()).isEqualTo(EntryType.FILE);
    assertThat(nb.mode()).isEqualTo("0600");
    assertThat(nb.sha256()).isEqualTo(Fixtures.sha256(Files.readAllBytes(source.resolve(UNICODE))));
    assertThat(nb.mtime())
        .isEqualTo(Files.getLastModifiedTime(source.resolve(UNICODE)).toInstant());
    assertThat(byPath.get("bin/run.sh").type()).isEqualTo(EntryType.HARDLINK);
    assertThat(byPath.get("bin/run.sh").linkTarget()).isEqualTo("bin/run-hardlink.sh");
    assertThat(byPath.get("bin/run-hardlink.sh").mode()).isEqualTo("0750");
    assertThat(byPath.get("empty").type()).isEqualTo(EntryType.DIR);
    assertThat(byPath.get("empty").mode()).isEqualTo("0750");
    assertThat(byPath.get("link-to-space").linkTarget()).isEqualTo("notebooks/with space.txt");
    assertThat(m.totals().files()).isEqualTo(5);
    assertThat(m.totals().bytes()).isEqualTo(backup.bytes());
    assertThat(m.totals().compressedBytes()).isEqualTo(Files.size(backup.ref().path()));
    assertThat(m.archiveSha256())
        .isEqualTo(Fixtures.sha256(Files.readAllBytes(backup.ref().path())));
    assertThat(backup.sha256()).isEqualTo(m.archiveSha256());
    // raw JSON spells types and modes for people
    String json = Files.readString(backup.ref().manifestPath());
    assertThat(json).contains("\"type\":\"hardlink\"", "\"mode\":\"0600\"", "\"archiveSha256\"");
    // progress was reported up to the total
    assertThat(progress).isNotEmpty();
    long[] last = progress.get(progress.size() - 1);
    assertThat(last[0]).isEqualTo(last[1]).isEqualTo(backup.bytes());
    assertThat(last[2]).isEqualTo(5);
  }

  @Test
  void everyEntryIsInItsOwnGzipMembersOrItsPacksAtTheRecordedOffsets() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    byte[] archive = Files.readAllBytes(backup.ref().path());
    long expectedTarOffset = 0;
    List<Entry> entries = m.entries();
    int packs = 0;
    for (int start = 0, end; start < entries.size(); start = end) {
      Entry first = entries.get(start);
      end = Checker.runEnd(entries, start);
      packs += end - start > 1 ? 1 : 0;
      assertThat(first.tarOffset()).as(first.path()).isEqualTo(expectedTarOffset);
      byte[] member =
          java.util.Arrays.copyOfRange(
              archive,
              (int) first.memberOffset(),
              (int) (first.memberOffset() + first.memberLength()));
      byte[] tar;
      try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(member))) {
        tar = gz.readAllBytes();
      }
      assertThat(tar.length % 512).isZero();
      expectedTarOffset += tar.length;
      try (TarArchiveInputStream t =
          new TarArchiveInputStream(new ByteArrayInputStream(tar), "UTF-8")) {
        for (int i = start; i < end; i++) {
          Entry e = entries.get(i);
          assertThat(ArchiveReader.pathOf(t.getNextEntry())).isEqualTo(e.path());
          if (e.type() == EntryType.FILE) {
            assertThat(Fixtures.sha256(t.readAllBytes())).isEqualTo(e.sha256());
          }
          // the tar offset finds the entry's header inside its pack too
          int at = (int) (e.tarOffset() - first.tarOffset());
          try (TarArchiveInputStream alone =
              new TarArchiveInputStream(
                  new ByteArrayInputStream(tar, at, tar.length - at), "UTF-8")) {
            assertThat(ArchiveReader.pathOf(alone.getNextEntry())).isEqualTo(e.path());
          }
        }
        assertThat(t.getNextEntry()).as("nothing but the run's entries").isNull();
      }
    }
    assertThat(packs).as("small files share packs").isPositive();
    // the end-of-archive blocks are the last member
    byte[] end =
        java.util.Arrays.copyOfRange(archive, (int) m.totals().endMemberOffset(), archive.length);
    try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(end))) {
      byte[] zeros = gz.readAllBytes();
      assertThat(zeros).hasSize(1024).containsOnly((byte) 0);
    }
    assertThat(m.totals().tarBytes()).isEqualTo(expectedTarOffset + 1024);
  }

  @Test
  void verifyPassesAndIsRecorded() throws Exception {
    VerifyResult v = repo.verify(backup.ref(), ProgressListener.NONE);
    assertThat(v.files()).isEqualTo(5);
    assertThat(Files.exists(backup.ref().verifiedPath()))
        .as("only the state record is written")
        .isFalse();
    assertThat(Files.readString(backup.ref().statePath()))
        .contains("\"state\" : \"verified\"", "\"by\" : \"verify\"");
    assertThat(repo.list("local", "work"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.verified()).isTrue();
              assertThat(i.state().by()).isEqualTo("verify");
              assertThat(i.files()).isEqualTo(5);
              assertThat(i.sizeBytes()).isEqualTo(Files.size(backup.ref().path()));
            });
  }

  @Test
  void aFlippedByteInsideAnEntryIsCaughtAndNamesTheEntry() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    Entry unicode =
        m.entries().stream().filter(e -> e.path().equals(UNICODE)).findFirst().orElseThrow();
    Fixtures.damageMember(backup.ref().path(), unicode);
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(UNICODE)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("CheckFailed"));
    assertThat(Files.exists(backup.ref().verifiedPath())).isFalse();
    assertThat(repo.list("local", "work"))
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.damaged()).isTrue();
              assertThat(i.state().error()).contains(UNICODE);
            });
  }

  @Test
  void aFlippedByteAnywhereIsCaught() throws Exception {
    long size = Files.size(backup.ref().path());
    Path pristine = tmp.resolve("pristine.tar.gz");
    Files.copy(backup.ref().path(), pristine);
    // gzip header time field of the first member, the middle of the big file, the last byte (end
    // member ISIZE)
    for (long offset : new long[] {4, size / 2, size - 1, 0}) {
      Files.copy(pristine, backup.ref().path(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      flip(backup.ref().path(), offset);
      assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
          .as("flip at %d", offset)
          .isInstanceOf(ActionException.class)
          .satisfies(
              e ->
                  assertThat(e.getMessage())
                      .containsAnyOf("checksum differs", "entry '", "corrupt"));
    }
    Files.copy(pristine, backup.ref().path(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    flip(backup.ref().path(), 4);
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .hasMessageContaining("archive checksum differs");
  }

  @Test
  void copyAsTarFeedsRealTar() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("piped"));
    java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
    long n = repo.copyAsTar(backup.ref(), plain);
    // the archive's tar behind one "./" header block with the folder's own metadata
    assertThat(n)
        .isEqualTo(plain.size())
        .isEqualTo(repo.manifest(backup.ref()).totals().tarBytes() + 512);
    assertThat(new String(plain.toByteArray(), 0, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("./\0");
    Fixtures.Run x =
        Fixtures.run(out, new ByteArrayInputStream(plain.toByteArray()), null, "tar", "xf", "-");
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(source));
  }

  @Test
  void writeFromTarRepacksWhatRealTarProduces() throws Exception {
    java.io.ByteArrayOutputStream tarred = new java.io.ByteArrayOutputStream();
    Fixtures.Run c = Fixtures.run(source, null, tarred, "tar", "cf", "-", ".");
    assertThat(c.exit()).as(c.err()).isZero();
    BackupResult fromPod =
        repo.writeFromTar(
            "pods",
            "jupyter",
            new ByteArrayInputStream(tarred.toByteArray()),
            ProgressListener.NONE);
    assertThat(fromPod.files()).isEqualTo(5);
    Manifest m = repo.manifest(fromPod.ref());
    assertThat(m.entries())
        .extracting(Entry::path)
        .contains(UNICODE, LONG_DIR + "/" + LONG_FILE)
        .noneMatch(p -> p.startsWith("./") || p.isEmpty());
    repo.verify(fromPod.ref(), ProgressListener.NONE);

    Path ours = tmp.resolve("ours");
    repo.restoreToDirectory(fromPod.ref(), ours, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(ours)).isEqualTo(Fixtures.describe(source));
    Path gnu = Files.createDirectories(tmp.resolve("gnu-from-pod"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "xzf", fromPod.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(gnu)).isEqualTo(Fixtures.describe(source));
  }

  /**
   * A Lifeboat restore gives files, folders, symlinks and the folder itself their modification
   * times to the nanosecond, from the manifest; the tar headers keep whole seconds (no PAX record
   * per entry), which GNU tar restores, and verify compares the seconds.
   */
  @Test
  void subSecondTimesComeBackToTheNanosecondFromOwnRestoreAndToTheSecondFromGnuTar()
      throws Exception {
    Path precise = tmp.resolve("precise");
    Fixtures.write(precise.resolve("a.txt"), "small, in a pack\n", "rw-r--r--");
    Fixtures.write(precise.resolve("sub/deeper/c.txt"), "deeper\n", "rw-------");
    byte[] big = new byte[300_000];
    new java.util.Random(5).nextBytes(big);
    Files.write(precise.resolve("sub/big.bin"), big);
    Files.createDirectories(precise.resolve("empty"));
    Files.createSymbolicLink(precise.resolve("link"), Path.of("sub/deeper/c.txt"));
    // deepest first, the folder itself last: setting a time does not move the parent's
    List<Path> all;
    try (java.util.stream.Stream<Path> s = Files.walk(precise)) {
      all = new ArrayList<>(s.toList());
    }
    all.sort((x, y) -> y.getNameCount() - x.getNameCount());
    long i = 0;
    for (Path p : all) {
      // nanoseconds that are not whole microseconds, another fraction for each path
      String at = "@" + (Fixtures.T0.getEpochSecond() + 3600 * i) + "." + (123_456_789 + i * 7);
      Fixtures.Run touch = Fixtures.run(tmp, "touch", "-h", "-d", at, p.toString());
      assertThat(touch.exit()).as(touch.err()).isZero();
      i++;
    }
    Map<String, java.time.Instant> times = times(precise);
    org.junit.jupiter.api.Assumptions.assumeTrue(
        times.values().stream().allMatch(t -> t.getNano() % 1000 != 0),
        "this file system keeps nanoseconds: " + times);

    BackupResult b =
        repo.writeFromDirectory(
            "local", "precise", precise, List.of(), List.of(), ProgressListener.NONE);
    Manifest m = repo.manifest(b.ref());
    assertThat(m.entries())
        .allSatisfy(e -> assertThat(e.mtime()).as(e.path()).isEqualTo(times.get(e.path())));
    assertThat(m.root().mtime()).isEqualTo(times.get(""));
    // the headers hold whole seconds, without a PAX record for the time
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(b.ref().path())))) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry te;
      int headers = 0;
      while ((te = in.getNextEntry()) != null) {
        String path = Manifest.entryName(te.getName());
        assertThat(te.getExtraPaxHeaders()).as(path).doesNotContainKey("mtime");
        assertThat(te.getLastModifiedTime().toInstant())
            .as(path)
            .isEqualTo(times.get(path).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        headers++;
      }
      assertThat(headers).isEqualTo(m.entries().size());
    }
    assertThat(repo.verify(b.ref(), ProgressListener.NONE).files()).isEqualTo(3);

    Path ours = tmp.resolve("ours-precise");
    repo.restoreToDirectory(b.ref(), ours, false, ProgressListener.NONE);
    assertThat(times(ours)).isEqualTo(times);

    Path gnu = Files.createDirectories(tmp.resolve("gnu-precise"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "xzf", b.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    Map<String, java.time.Instant> seconds = new java.util.TreeMap<>();
    times.forEach((p, t) -> seconds.put(p, t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
    Map<String, java.time.Instant> gnuTimes = times(gnu);
    // tar xzf leaves the folder it extracts into as it was
    gnuTimes.remove("");
    seconds.remove("");
    assertThat(gnuTimes).isEqualTo(seconds);
  }

  /** Path ("" for the folder itself) → modification time, of links themselves. */
  private static Map<String, java.time.Instant> times(Path root) throws IOException {
    Map<String, java.time.Instant> out = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        out.put(
            root.relativize(p).toString(),
            Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).toInstant());
      }
    }
    return out;
  }

  static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x20);
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
