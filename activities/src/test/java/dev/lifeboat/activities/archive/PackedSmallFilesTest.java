package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.Fixtures.packOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files share packs (one run of members for several consecutive files): the archive stays a
 * .tar.gz GNU tar reads, every file is found, read, verified and restored from inside its pack, a
 * pack is copied whole by the next backup when none of its files changed and written anew with all
 * its files when one did, and a manifest that misplaces a pack is damage.
 */
class PackedSmallFilesTest {
  @TempDir Path tmp;
  Path src;
  Repository repo;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-29T00:15:00Z"));
  List<String> reads = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void tree() throws Exception {
    src = tmp.resolve("src");
    Random r = new Random(11);
    // notebook-like text in two folders, a large file between them, a link and an empty file
    for (int i = 0; i < 60; i++) {
      Path f = src.resolve((i < 30 ? "a" : "b") + "/nb-" + (100 + i) + ".ipynb");
      Files.createDirectories(f.getParent());
      StringBuilder text = new StringBuilder("{\"cells\": [");
      while (text.length() < 500 + r.nextInt(9_000)) {
        text.append("{\"source\": \"loss ").append(r.nextInt(1000)).append(" epoch\"},\n");
      }
      Files.writeString(f, text.append("]}\n"));
    }
    byte[] big = new byte[300_000];
    r.nextBytes(big);
    Files.write(src.resolve("a/weights.bin"), big);
    Files.createSymbolicLink(src.resolve("a/link"), Path.of("nb-100.ipynb"));
    Files.write(src.resolve("b/empty"), new byte[0]);
    repo = new Repository(tmp.resolve("repo"), clock);
    repo.onFileRead(reads::add);
  }

  private BackupResult backup() throws Exception {
    clock.advance(java.time.Duration.ofMinutes(1));
    reads.clear();
    BackupResult b =
        repo.writeFromDirectory("s", "home", src, List.of(), List.of(), ProgressListener.NONE);
    repo.verify(b.ref(), ProgressListener.NONE);
    return b;
  }

  @Test
  void smallFilesSharePacksThatEveryReaderFindsThemIn() throws Exception {
    BackupResult b = backup();
    Manifest m = repo.manifest(b.ref());
    List<Entry> entries = m.entries();
    int packed = 0;
    for (int start = 0, end; start < entries.size(); start = end) {
      end = Checker.runEnd(entries, start);
      if (end - start > 1) {
        packed += end - start;
        assertThat(entries.subList(start, end))
            .allMatch(e -> e.type() == EntryType.FILE && e.size() <= GzipMembers.PACK_FILE_MAX);
      }
    }
    assertThat(packed).as("most notebooks are in packs").isGreaterThan(40);
    assertThat(packOf(m, "a/weights.bin")).containsExactly("a/weights.bin");
    assertThat(packOf(m, "a/link")).containsExactly("a/link");

    // GNU tar and gzip see an ordinary .tar.gz
    gnuTarExtractsTheSource(b.ref(), "tar", "xzf");

    // every file read alone, wherever it sits in its pack
    for (Entry e : entries) {
      if (e.type() == EntryType.FILE) {
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        repo.readFile(b.ref(), e.path(), one);
        assertThat(one.toByteArray())
            .as(e.path())
            .isEqualTo(Files.readAllBytes(src.resolve(e.path())));
      }
    }
    restoresTheSource(b.ref());
  }

  @Test
  void anUnchangedPackIsCopiedWholeAndAChangedOneIsWrittenAnewWithAllItsFiles() throws Exception {
    BackupResult first = backup();
    Manifest before = repo.manifest(first.ref());
    String victim = "a/nb-110.ipynb";
    Set<String> mates = packOf(before, victim);
    assertThat(mates).hasSizeGreaterThan(1);
    Files.writeString(src.resolve(victim), "\nmore\n", StandardOpenOption.APPEND);

    BackupResult second = backup();
    // the pack is written anew, its unchanged files taken from the old pack, not read again
    assertThat(reads).containsExactly(victim);
    assertThat(second.reusedFiles()).isEqualTo(second.files() - 1);
    assertThat(second.reusedBytes()).isEqualTo(second.bytes() - Files.size(src.resolve(victim)));
    Manifest after = repo.manifest(second.ref());
    // the other packs are the same bytes, copied
    byte[] a1 = Files.readAllBytes(first.ref().path());
    byte[] a2 = Files.readAllBytes(second.ref().path());
    String other = "b/nb-150.ipynb";
    assertThat(packOf(before, other)).doesNotContain(victim);
    assertThat(packOf(after, other)).isEqualTo(packOf(before, other));
    assertThat(members(a2, entry(after, other))).isEqualTo(members(a1, entry(before, other)));
    // the copied packs' files are placed where they now are in the tar stream
    byte[] tar;
    try (var gz = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(a2))) {
      tar = gz.readAllBytes();
    }
    for (Entry e : after.entries()) {
      try (var t =
          new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
              new java.io.ByteArrayInputStream(tar, (int) e.tarOffset(), tar.length), "UTF-8")) {
        assertThat(ArchiveReader.pathOf(t.getNextEntry())).isEqualTo(e.path());
      }
    }

    // nothing changed since: everything is copied, the archive is the same bytes
    BackupResult third = backup();
    assertThat(reads).isEmpty();
    assertThat(Files.readAllBytes(third.ref().path())).isEqualTo(a2);
    restoresTheSource(third.ref());
  }

  /**
   * A changed pack's other files are cut out of the old pack where the manifest's tar offsets put
   * them: headers of every length (a long non-ASCII name takes a PAX header), an empty file, a
   * link.
   */
  @Test
  void theMatesOfAChangedFileComeFromTheOldPackWhateverTheirHeaders() throws Exception {
    Path c = Files.createDirectories(src.resolve("c"));
    String longName = "c/" + "größe-数据-".repeat(12) + ".txt";
    Files.writeString(src.resolve(longName), "weights: 0.1 0.2 0.3\n".repeat(40));
    Files.writeString(c.resolve("m.txt"), "loss 0.5\n".repeat(300));
    Files.write(c.resolve("n-empty"), new byte[0]);
    Files.createSymbolicLink(c.resolve("o-link"), Path.of("m.txt"));
    Files.writeString(c.resolve("p.txt"), "epoch 3\n".repeat(500));
    BackupResult first = backup();
    String victim = "c/m.txt";
    assertThat(packOf(repo.manifest(first.ref()), victim)).contains(longName, "c/n-empty");
    Files.writeString(src.resolve(victim), "more\n", StandardOpenOption.APPEND);

    BackupResult second = backup();
    assertThat(reads).containsExactly(victim);
    assertThat(second.reusedFiles()).isEqualTo(second.files() - 1);
    restoresTheSource(second.ref());
  }

  @Test
  void aRottenOldPackIsNotUsedForTheUnchangedFilesOfAChangedOne() throws Exception {
    // the pack could not be decoded (or a digest did not match): its files were read instead
    aDamagedPackIsReadAgain(Fixtures::damageMember);
  }

  private interface Damage {
    long apply(Path archive, Entry e) throws Exception;
  }

  /** Rot in a pack after the verify, then a change in the pack: all its files are read again. */
  private void aDamagedPackIsReadAgain(Damage damage) throws Exception {
    BackupResult first = backup();
    Manifest before = repo.manifest(first.ref());
    String victim = "b/nb-133.ipynb";
    Set<String> mates = packOf(before, victim);
    assertThat(mates).hasSizeGreaterThan(1);
    damage.apply(first.ref().path(), entry(before, victim));
    Files.writeString(src.resolve(victim), "\nmore\n", StandardOpenOption.APPEND);

    BackupResult second = backup();
    assertThat(reads).containsAll(mates);
    restoresTheSource(second.ref());
  }

  /**
   * A flip near a pack member's end that leaves all of the pack's tar bytes decoding as before and
   * only the member's end wrong (its last block then runs on, or its check fails): the pack is
   * still not used, none of its files taken from it. Reading only the tar's length, its files
   * passed their digests and were kept; a flip elsewhere did this for the files before it, run to
   * run not alike, as the headers' times move the compressed bits.
   */
  @Test
  void aPackWhoseEndIsDamagedIsNotUsedEvenWhereItsTarDecodesWhole() throws Exception {
    aDamagedPackIsReadAgain(Fixtures::damageMemberEnd);
  }

  @Test
  void aFileAddedInsideOrRemovedFromAPackMakesThatPackBeWrittenAnew() throws Exception {
    BackupResult first = backup();
    Manifest before = repo.manifest(first.ref());
    Set<String> removedPack = packOf(before, "b/nb-140.ipynb");
    Set<String> insertedPack = packOf(before, "a/nb-105.ipynb");
    assertThat(removedPack).hasSizeGreaterThan(1).doesNotContainAnyElementsOf(insertedPack);
    Files.delete(src.resolve("b/nb-140.ipynb"));
    // sorts right after nb-105, inside its pack unless that file ends it
    Files.writeString(src.resolve("a/nb-105a.ipynb"), "{\"cells\": []}\n");

    BackupResult second = backup();
    // only the new file is read; the broken packs' other files come from the old ones
    assertThat(reads).containsExactly("a/nb-105a.ipynb");
    assertThat(second.files()).isEqualTo(first.files());
    assertThat(second.reusedFiles()).isEqualTo(second.files() - 1);
    restoresTheSource(second.ref());
    gnuTarExtractsTheSource(second.ref(), "tar", "xzf");
  }

  @Test
  void aFlippedByteInAPackNeverGivesWrongBytes() throws Exception {
    BackupResult b = backup();
    Manifest m = repo.manifest(b.ref());
    Entry e = entry(m, "a/nb-112.ipynb");
    Fixtures.damageMember(b.ref().path(), e);
    // a file before the damage in its pack still reads right (its digest says so); the others fail
    int failed = 0;
    for (String mate : packOf(m, e.path())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try {
        repo.readFile(b.ref(), mate, out);
        assertThat(out.toByteArray()).as(mate).isEqualTo(Files.readAllBytes(src.resolve(mate)));
      } catch (DamagedArchive damaged) {
        failed++;
      }
    }
    assertThat(failed).isPositive();
    assertThatThrownBy(() -> repo.verify(b.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class);
  }

  @Test
  void aManifestThatMovesAFileOutOfItsPackIsDamage() throws Exception {
    BackupResult b = backup();
    Manifest m = repo.manifest(b.ref());
    Entry second = null;
    List<Entry> entries = m.entries();
    for (int i = 1; i < entries.size() && second == null; i++) {
      if (Checker.sameMembers(entries.get(i - 1), entries.get(i))) {
        second = entries.get(i);
      }
    }
    assertThat(second).isNotNull();
    // the manifest says the pack's second file starts members of its own, right after the pack
    ObjectMapper json = Json.MAPPER;
    ObjectNode doc = (ObjectNode) json.readTree(b.ref().manifestPath().toFile());
    for (var node : doc.withArray("entries")) {
      if (node.get("path").asText().equals(second.path())) {
        ((ObjectNode) node).put("memberOffset", second.memberOffset() + second.memberLength());
      }
    }
    // replaced by rename, as the repository writes manifests: a new file to whoever cached the old
    Path edited = b.ref().manifestPath().resolveSibling("edited.json");
    json.writeValue(edited.toFile(), doc);
    Files.move(edited, b.ref().manifestPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> repo.verify(b.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("the manifest places");
  }

  @Test
  void aTarStreamKeepsOneRunOfMembersPerEntrySoItsFilesAreReusedOneByOne() throws Exception {
    Path tarFile = tmp.resolve("pod.tar");
    Fixtures.Run t = Fixtures.run(src, "tar", "cf", tarFile.toString(), ".");
    assertThat(t.exit()).as(t.err()).isZero();
    BackupResult b;
    try (var in = Files.newInputStream(tarFile)) {
      b = repo.writeFromTar("s", "pod", in, ProgressListener.NONE);
    }
    List<Entry> entries = repo.manifest(b.ref()).entries();
    for (int i = 1; i < entries.size(); i++) {
      assertThat(Checker.sameMembers(entries.get(i - 1), entries.get(i))).isFalse();
    }
  }

  @Test
  void zstdArchivesPackToo() throws Exception {
    BackupResult b =
        repo.writeFromDirectory(
            "s", "z", src, List.of(), List.of(), false, Compression.ZSTD, ProgressListener.NONE);
    repo.verify(b.ref(), ProgressListener.NONE);
    Manifest m = repo.manifest(b.ref());
    assertThat(packOf(m, "a/nb-110.ipynb")).hasSizeGreaterThan(1);
    gnuTarExtractsTheSource(b.ref(), "tar", "--zstd", "-xf");
    ByteArrayOutputStream one = new ByteArrayOutputStream();
    repo.readFile(b.ref(), "b/nb-155.ipynb", one);
    assertThat(one.toString(StandardCharsets.UTF_8))
        .isEqualTo(Files.readString(src.resolve("b/nb-155.ipynb")));
  }

  /** Lifeboat restores the archive to a tree just like the source. */
  private void restoresTheSource(ArchiveRef ref) throws Exception {
    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(ref, restored, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(src));
  }

  /** GNU tar, run as {@code command} followed by the archive, extracts a tree like the source. */
  private void gnuTarExtractsTheSource(ArchiveRef ref, String... command) throws Exception {
    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    List<String> args = new ArrayList<>(List.of(command));
    args.add(ref.path().toString());
    Fixtures.Run x = Fixtures.run(gnu, args.toArray(String[]::new));
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(gnu)).isEqualTo(Fixtures.describe(src));
  }

  private static Entry entry(Manifest m, String path) {
    return m.entries().stream().filter(e -> e.path().equals(path)).findFirst().orElseThrow();
  }

  private static byte[] members(byte[] archive, Entry e) {
    return java.util.Arrays.copyOfRange(
        archive, (int) e.memberOffset(), (int) (e.memberOffset() + e.memberLength()));
  }
}
