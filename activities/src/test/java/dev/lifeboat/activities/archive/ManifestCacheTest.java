package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binary copy of a source's newest manifest reads as the JSON does, and is used only while it
 * is that JSON's copy: an edited JSON, a cache of another archive, a torn or flipped cache are all
 * read from the JSON.
 */
class ManifestCacheTest {
  @TempDir Path tmp;
  Repository repo;
  Path src;
  ArchiveRef ref;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"));
    src = Fixtures.awkwardTree(tmp.resolve("src"));
    ref =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE)
            .ref();
  }

  private Path cache() {
    return ref.manifestPath().resolveSibling(ManifestCache.NAME);
  }

  @Test
  void findingTheNewestArchiveReadsTheCopyOnceAndListsAsTheJsonDoes() throws Exception {
    // a second archive: the first's manifest has no copy any more, the newest has
    Files.writeString(src.resolve("added.txt"), "one more\n");
    ArchiveRef newest =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE)
            .ref();
    long before = ManifestCache.used();
    Repository fresh = new Repository(tmp.resolve("repo"));
    List<ArchiveInfo> withCopy = fresh.list("local", "src");
    assertThat(ManifestCache.used() - before).isEqualTo(1);
    ArchiveRef latest = fresh.resolve("local", "src", null);
    assertThat(latest.name()).isEqualTo(newest.name());
    Manifest m = fresh.manifest(latest);
    // the manifest the listing read is the one a restore then takes, not read again
    assertThat(ManifestCache.used() - before).isEqualTo(1);
    assertThat(m).isEqualTo(ManifestParser.read(newest.manifestPath().toFile()));

    Files.delete(newest.manifestPath().resolveSibling(ManifestCache.NAME));
    List<ArchiveInfo> fromJson = new Repository(tmp.resolve("repo")).list("local", "src");
    assertThat(withCopy).hasSize(2).isEqualTo(fromJson);
  }

  @Test
  void aBackupLeavesACacheThatReadsAsItsJson() throws Exception {
    assertThat(cache()).isRegularFile();
    Manifest json = ManifestParser.read(ref.manifestPath().toFile());
    Manifest cached = ManifestCache.read(ref.manifestPath(), ref.name());
    assertThat(cached).isNotNull().isEqualTo(json);
    assertThat(cached.entries())
        .hasSizeGreaterThan(10)
        .anySatisfy(e -> assertThat(e.type()).isEqualTo(EntryType.HARDLINK))
        .anySatisfy(e -> assertThat(e.type()).isEqualTo(EntryType.SYMLINK))
        .anySatisfy(e -> assertThat(e.memberCrc32c()).isNotNull());
    assertThat(cached.root()).isNotNull();
    assertThat(cached.unreadable()).isZero();
    // private as the manifest it copies: it names every file
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(cache())))
        .isEqualTo("rw-------");
    // no partial file is left beside it
    try (var list = Files.list(cache().getParent())) {
      assertThat(list.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.endsWith(ArchiveNames.PARTIAL_SUFFIX));
    }
  }

  /**
   * Readers take the manifest from the cache while it is its JSON's copy: shown with a copy made to
   * differ (a repository's files are as trusted as each other; the digest guards against rot and
   * stale copies, not against someone who can write the repository).
   */
  @Test
  void theCatalogReadsTheCacheWhileItIsItsJsonsCopy() throws Exception {
    Manifest json = ManifestParser.read(ref.manifestPath().toFile());
    Manifest marked = json.withUnreadable(7);
    ManifestCache.write(ref.manifestPath(), marked);
    assertThat(new Catalog(tmp.resolve("repo"), List.of()).manifest(ref).unreadable())
        .isEqualTo(7L);
    // one byte more in the JSON and the copy is no longer its copy
    Files.writeString(
        ref.manifestPath(),
        Files.readString(ref.manifestPath()) + " ",
        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
    assertThat(new Catalog(tmp.resolve("repo"), List.of()).manifest(ref).unreadable()).isZero();
  }

  @Test
  void theNextBackupReplacesItAndAnIncrementalReadsTheSame() throws Exception {
    Files.writeString(src.resolve("new.txt"), "more");
    BackupResult next =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
    assertThat(ManifestCache.read(next.ref().manifestPath(), next.ref().name()))
        .isEqualTo(ManifestParser.read(next.ref().manifestPath().toFile()));
  }

  @Test
  void anEditedJsonIsReadFromTheJson() throws Exception {
    String text = Files.readString(ref.manifestPath());
    // the same length, another value: only the digest tells
    String edited = text.replaceFirst("\"set\":\"local\"", "\"set\":\"lokal\"");
    assertThat(edited).isNotEqualTo(text).hasSameSizeAs(text);
    Files.writeString(ref.manifestPath(), edited);
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
    // the catalog reads the JSON and finds it describes another set
    assertThat(new Catalog(tmp.resolve("repo"), List.of()).list("local", "src").get(0).damaged())
        .isTrue();
  }

  @Test
  void aFlippedTornOrForeignCacheIsNotUsed() throws Exception {
    byte[] good = Files.readAllBytes(cache());
    Manifest json = ManifestParser.read(ref.manifestPath().toFile());
    for (int at : new int[] {0, 9, good.length / 2, good.length - 40, good.length - 1}) {
      byte[] flipped = good.clone();
      flipped[at] ^= 0x10;
      Files.write(cache(), flipped);
      assertThat(ManifestCache.read(ref.manifestPath(), ref.name()))
          .as("flipped at " + at)
          .isNull();
    }
    // grown past its JSON (a copy never is): not read at all
    try (var f =
        java.nio.channels.FileChannel.open(cache(), java.nio.file.StandardOpenOption.WRITE)) {
      f.write(java.nio.ByteBuffer.wrap(new byte[] {0}), Files.size(ref.manifestPath()) + 1);
    }
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
    Files.write(cache(), java.util.Arrays.copyOf(good, good.length / 2));
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
    Files.write(cache(), new byte[0]);
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
    Files.write(cache(), good);
    assertThat(ManifestCache.read(ref.manifestPath(), "20990101T000000Z.tar.gz")).isNull();
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isEqualTo(json);
    // a catalog with any of them gives the JSON's manifest
    Files.write(cache(), java.util.Arrays.copyOf(good, good.length - 3));
    assertThat(new Catalog(tmp.resolve("repo"), List.of()).manifest(ref)).isEqualTo(json);
    Files.delete(ref.manifestPath());
    Files.write(cache(), good);
    assertThat(ManifestCache.read(ref.manifestPath(), ref.name())).isNull();
  }

  /** Older shapes (no root, no count, no stamps) and every kind of entry come back as they were. */
  @Test
  void manifestsOfEveryShapeRoundTrip() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("shapes"));
    Instant t = Instant.parse("2024-03-01T10:15:30.123456789Z");
    List<Entry> entries =
        List.of(
            new Entry("a", EntryType.DIR, "0755", t, 0, null, null, 0, 0, 100),
            new Entry(
                "a/f",
                EntryType.FILE,
                "0644",
                t,
                5,
                "ab".repeat(32),
                null,
                512,
                100,
                40,
                t,
                7L,
                123L),
            new Entry("a/l", EntryType.SYMLINK, "0777", t, 0, null, "/abs/ünï", 1536, 140, 30),
            new Entry("a/h", EntryType.HARDLINK, "0644", null, 0, null, "a/f", 2048, 170, 30),
            new Entry("", null, null, null, -1, "", "", -1, -1, -1, null, null, null));
    Manifest older =
        new Manifest(3, "s", "o", "x.tar.gz", null, null, entries, null, null, null, null);
    Manifest full =
        new Manifest(
            5,
            "s",
            "o",
            "x.tar.gz",
            t,
            Manifest.COMPRESSION,
            entries,
            new Manifest.Totals(5, 1, 5, 4096, 300, 260),
            "cd".repeat(32),
            new Manifest.Root("0700", t, 1000, 1000, "u", null, "/home/u"),
            3L);
    for (Manifest m : List.of(older, full)) {
      Path json = dir.resolve("x.manifest.json");
      Files.write(json, Json.COMPACT.writeValueAsBytes(m));
      ManifestCache.write(json, m);
      assertThat(ManifestCache.read(json, "x.tar.gz")).isEqualTo(m);
    }
  }

  /** A string UTF-8 cannot carry (a lone surrogate from a crafted JSON) leaves no cache at all. */
  @Test
  void aStringUtf8CannotCarryLeavesNoCache() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("surrogate"));
    Manifest m =
        new Manifest(
            5,
            "s",
            "o",
            "x.tar.gz",
            null,
            null,
            List.of(new Entry("bad\ud800", EntryType.DIR, "0755", null, 0, null, null, 0, 0, 1)),
            null,
            null,
            null);
    Path json = dir.resolve("x.manifest.json");
    Files.write(json, Json.COMPACT.writeValueAsBytes(m));
    ManifestCache.write(json, m);
    assertThat(dir.resolve(ManifestCache.NAME)).doesNotExist();
    try (var list = Files.list(dir)) {
      assertThat(list).containsExactly(json);
    }
  }
}
