package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));
  Path root;
  Path drive;
  Catalog catalog;
  Repository writer;
  Path src;

  @BeforeEach
  void setUp() throws Exception {
    root = tmp.resolve("repo");
    drive = tmp.resolve("drive");
    catalog = new Catalog(root, List.of(drive));
    writer = new Repository(root, clock);
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
  }

  @Test
  void resolveNamesWhatIsWrong() throws Exception {
    ArchiveRef a = backup("local", "src");
    assertThat(catalog.resolve("local", "src", "20261122T001500Z")).isEqualTo(a);

    assertThatThrownBy(() -> catalog.resolve("local", "../etc", null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not a usable name");
    assertThatThrownBy(() -> catalog.resolve("-rf", "src", null))
        .hasMessageContaining("not a usable name");
    assertThatThrownBy(() -> catalog.resolve("local", "s".repeat(300), null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("is 300 characters long; a folder name has at most 255");
    assertThatThrownBy(() -> catalog.resolve("local", "ghost", null))
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"))
        .hasMessageContaining("'ghost'")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> catalog.resolve("local", "src", "../../etc/passwd"))
        .hasMessageContaining("is not an archive name");
    assertThatThrownBy(() -> catalog.resolve("local", "src", "20200101T000000Z.tar.gz"))
        .hasMessageContaining("archive '20200101T000000Z.tar.gz' of set 'local', source 'src'")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> catalog.resolve(null, null, "/no/such/20200101T000000Z.tar.gz"))
        .hasMessageContaining("/no/such/20200101T000000Z.tar.gz does not exist");
    // a manifest or state record given as the archive is refused, and nothing is recorded for it
    ArchiveRef archived = backup("local", "other");
    assertThat(catalog.resolve("local", "other", "latest")).isEqualTo(archived);
    String manifest = archived.manifestPath().toString();
    assertThatThrownBy(() -> catalog.resolve(null, null, manifest))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(manifest + " is not an archive file");
    assertThat(
            archived
                .manifestPath()
                .resolveSibling(archived.manifestPath().getFileName() + ".state.json"))
        .doesNotExist();
  }

  @Test
  void aManifestIsReadOnceUntilItIsReplaced() throws Exception {
    ArchiveRef a = backup("local", "src");
    Manifest first = catalog.manifest(a);
    assertThat(catalog.manifest(a)).as("read again from the cache").isSameAs(first);

    // manifests are replaced by an atomic rename: the replacement is read, not the cached one
    Manifest changed =
        new Manifest(
            first.formatVersion(),
            first.set(),
            first.source(),
            first.archive(),
            first.created(),
            first.compression(),
            first.entries(),
            first.totals(),
            "0".repeat(64));
    RepositoryFiles.writeAtomically(a.manifestPath(), Json.MAPPER.writeValueAsBytes(changed));
    assertThat(catalog.manifest(a).archiveSha256()).isEqualTo("0".repeat(64));

    Files.delete(a.manifestPath());
    assertThatThrownBy(() -> catalog.manifest(a)).hasMessageContaining("has no manifest");
  }

  @Test
  void aListingReadsManifestsWithoutTheirEntries() throws Exception {
    ArchiveRef a = backup("local", "src");
    Manifest whole = catalog.manifest(a);
    Manifest head = Catalog.summary(a.manifestPath());
    assertThat(head.entries()).isEmpty();
    assertThat(head.totals()).isEqualTo(whole.totals());
    assertThat(head.created()).isEqualTo(whole.created());
    assertThat(head.archiveSha256()).isEqualTo(whole.archiveSha256());
    assertThat(head.compression()).isEqualTo(whole.compression());
    assertThat(catalog.list("local", "src"))
        .singleElement()
        .satisfies(i -> assertThat(i.files()).isEqualTo(whole.totals().files()));

    Files.writeString(a.manifestPath(), "{\"formatVersion\": 2, \"entries\": [");
    assertThat(catalog.list("local", "src"))
        .singleElement()
        .satisfies(i -> assertThat(i.damaged()).as("a cut manifest is damage").isTrue());
  }

  @Test
  void aListingReadsAManifestsHeadOnceUntilTheFileIsReplaced() throws Exception {
    ArchiveRef a = backup("local", "src");
    long files = catalog.list("local", "src").get(0).files();
    assertThat(files).isEqualTo(1);
    // the same file (inode, size, mtime) with other bytes: the head read before is used
    byte[] bytes = Files.readAllBytes(a.manifestPath());
    java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(a.manifestPath());
    byte[] garbage = new byte[bytes.length];
    java.util.Arrays.fill(garbage, (byte) ' ');
    Files.write(a.manifestPath(), garbage);
    Files.setLastModifiedTime(a.manifestPath(), mtime);
    assertThat(catalog.list("local", "src"))
        .singleElement()
        .satisfies(i -> assertThat(i.damaged()).isFalse())
        .satisfies(i -> assertThat(i.files()).isEqualTo(files));

    // replaced by a rename, as manifests are: the new file is read
    RepositoryFiles.writeAtomically(a.manifestPath(), bytes);
    assertThat(catalog.list("local", "src"))
        .singleElement()
        .extracting(i -> i.files())
        .isEqualTo(1L);
    RepositoryFiles.writeAtomically(a.manifestPath(), "{\"formatVersion\": 4}".getBytes());
    assertThat(catalog.list("local", "src"))
        .singleElement()
        .satisfies(i -> assertThat(i.damaged()).as("no totals").isTrue());
  }

  @Test
  void theNewestVerifiedArchiveIsFoundNewestFirst() throws Exception {
    ArchiveRef a = backup("local", "src");
    ArchiveRef b = backup("local", "src");
    ArchiveRef c = backup("local", "src");
    writer.verify(a, ProgressListener.NONE);
    writer.verify(b, ProgressListener.NONE);
    assertThat(catalog.newestVerified("local", "src")).map(ArchiveInfo::name).contains(b.name());
    assertThat(catalog.newestRecordedVerified("local", "src")).contains(b);

    writer.markDamaged(b, "test", "rot");
    assertThat(catalog.newestVerified("local", "src")).map(ArchiveInfo::name).contains(a.name());
    assertThat(catalog.newestRecordedVerified("local", "src")).contains(a);

    // an archive without a state file (an older format's): only the listing can judge it
    Files.delete(c.statePath());
    assertThat(catalog.newestRecordedVerified("local", "src")).isEmpty();
    assertThat(catalog.newestVerified("local", "src")).map(ArchiveInfo::name).contains(a.name());

    // a verified archive whose manifest is unreadable is damaged, whatever its state file says
    writer.verify(c, ProgressListener.NONE);
    Files.writeString(c.manifestPath(), "not json");
    assertThat(catalog.newestVerified("local", "src")).map(ArchiveInfo::name).contains(a.name());
    assertThat(catalog.newestVerified("local", "nothing")).isEmpty();
    assertThat(catalog.newestRecordedVerified("local", "nothing")).isEmpty();
  }

  @Test
  void anAbsolutePathMustLieInTheRepositoryOrAnArchiveRoot() throws Exception {
    ArchiveRef inRepo = backup("local", "src");
    assertThat(catalog.resolve(null, null, inRepo.path().toString())).isEqualTo(inRepo);

    ArchiveRef onDrive =
        new Repository(drive, clock)
            .writeFromDirectory("tier2", "shared", src, List.of(), List.of(), null)
            .ref();
    ArchiveRef viaRoot = catalog.resolve(null, null, onDrive.path().toString());
    assertThat(viaRoot.set()).isEqualTo("tier2");
    assertThat(viaRoot.source()).isEqualTo("shared");
    assertThat(catalog.insideRoot(viaRoot))
        .as("a drive's archive is not the repository's")
        .isFalse();
    assertThat(catalog.insideRoot(inRepo)).isTrue();

    Path stray = Files.writeString(tmp.resolve("20200101T000000Z.tar.gz"), "x");
    assertThatThrownBy(() -> catalog.resolve(null, null, stray.toString()))
        .hasMessageContaining("is outside the repository " + root)
        .hasMessageContaining("the archive roots [" + drive + "]");
    // a link inside the repository does not let a path escape it
    Path link = root.resolve("local/src/20200101T000000Z.tar.gz");
    Files.createSymbolicLink(link, stray);
    assertThatThrownBy(() -> catalog.resolve(null, null, link.toString()))
        .hasMessageContaining("(really " + stray.toRealPath() + ")");
    assertThatThrownBy(() -> new Catalog(root, List.of()).resolve(null, null, stray.toString()))
        .hasMessageContaining("no archive roots are configured");
  }

  @Test
  void aRepositoryPathNamesItsOwnSetAndSourceWhateverIsGiven() throws Exception {
    ArchiveRef home = backup("tier2", "home");
    ArchiveRef other = backup("local", "other");
    // local-restore passes set 'local' by default: that must not make tier2/home's archive
    // local/…'s (a damaged one would move local/other's latest pointer to tier2's name)
    ArchiveRef r = catalog.resolve("local", "other", home.path().toString());
    assertThat(r).isEqualTo(home);
    assertThat(catalog.insideRoot(r)).isTrue();
    Files.delete(home.manifestPath());
    catalog.moveLatestOff(r);
    assertThat(root.resolve("local/other/latest")).hasContent(other.name() + "\n");
    assertThat(root.resolve("tier2/home/latest")).doesNotExist();

    // the same through a link to the repository: the path arrives resolved
    Path viaLink = Files.createSymbolicLink(tmp.resolve("repo-link"), root);
    ArchiveRef linked = new Catalog(viaLink, List.of()).resolve("x", "y", other.path().toString());
    assertThat(linked.set()).isEqualTo("local");
    assertThat(linked.source()).isEqualTo("other");

    // an archive root's layout is the user's: the names given win, the folders fill in
    ArchiveRef onDrive =
        new Repository(drive, clock)
            .writeFromDirectory("copy", "laptop", src, List.of(), List.of(), null)
            .ref();
    ArchiveRef named = catalog.resolve("local", null, onDrive.path().toString());
    assertThat(named.set()).isEqualTo("local");
    assertThat(named.source()).isEqualTo("laptop");
  }

  @Test
  void anArchiveAndManifestOfAnotherSourceSwappedInAreDamagedNotRestored() throws Exception {
    ArchiveRef docs = backup("local", "docs");
    ArchiveRef proj = backup("local", "proj");
    // what a swap of ciphertexts in an offsite copy brings back: a consistent pair, other names
    Files.copy(proj.path(), docs.path(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(
        proj.manifestPath(),
        docs.manifestPath(),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Catalog fresh = new Catalog(root, List.of(drive));
    ArchiveInfo listed = fresh.listSource("local", "docs").get(0);
    assertThat(listed.damaged()).isTrue();
    assertThat(listed.state().error()).contains("it describes archive " + proj.name());
    assertThatThrownBy(() -> fresh.manifest(docs))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("it describes archive " + proj.name() + ", not " + docs.name());
    assertThatThrownBy(
            () -> writer.restoreToDirectory(docs, tmp.resolve("out"), false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class);
    assertThat(tmp.resolve("out")).doesNotExist();

    // same archive name, another source's folder
    Path elsewhere = Files.createDirectories(root.resolve("local/copy"));
    Files.copy(proj.path(), elsewhere.resolve(proj.name()));
    Files.copy(proj.manifestPath(), elsewhere.resolve(proj.stem() + ".manifest.json"));
    ArchiveRef copy = new ArchiveRef("local", "copy", proj.name(), elsewhere.resolve(proj.name()));
    assertThatThrownBy(() -> fresh.manifest(copy))
        .hasMessageContaining("it describes set 'local', source 'proj', but lies in local/copy");
  }

  @Test
  void latestIsTheNewestGoodArchiveWhateverThePointerSays() throws Exception {
    ArchiveRef first = backup("local", "src");
    ArchiveRef second = backup("local", "src");
    Path dir = root.resolve("local/src");
    // a pointer left behind names an older archive: the docs' latest is the newest good one
    RepositoryFiles.writeLatest(dir, first.name());
    assertThat(catalog.resolve("local", "src", null)).isEqualTo(second);

    // a manifest that is gone makes an archive damaged: latest skips it
    Files.delete(first.manifestPath());
    assertThat(catalog.resolve("local", "src", null)).isEqualTo(second);
    assertThat(catalog.newestGood("local", "src")).map(ArchiveInfo::name).contains(second.name());
    assertThat(catalog.list("local", "src"))
        .extracting(ArchiveInfo::name, ArchiveInfo::damaged)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(first.name(), true),
            org.assertj.core.groups.Tuple.tuple(second.name(), false));

    Files.delete(second.manifestPath());
    assertThatThrownBy(() -> catalog.resolve("local", "src", null))
        .hasMessageContaining("has no undamaged archive");
    assertThat(catalog.newestGood("local", "src")).isEmpty();

    Files.createDirectories(root.resolve("local/empty"));
    assertThatThrownBy(() -> catalog.resolve("local", "empty", null))
        .hasMessageContaining("has no archives yet");
  }

  @Test
  void moveLatestOffADamagedArchivePointsAtTheNewestGoodOrRemovesThePointer() throws Exception {
    ArchiveRef first = backup("local", "src");
    ArchiveRef second = backup("local", "src");
    Path latest = root.resolve("local/src/latest");
    assertThat(latest).hasContent(second.name() + "\n");

    catalog.moveLatestOff(first);
    assertThat(latest).as("another archive is latest: left alone").hasContent(second.name() + "\n");

    Files.delete(second.manifestPath());
    catalog.moveLatestOff(second);
    assertThat(latest).hasContent(first.name() + "\n");

    Files.delete(first.manifestPath());
    catalog.moveLatestOff(first);
    assertThat(latest).doesNotExist();
  }

  @Test
  void listWalksSetsAndSourcesSkippingHiddenDirectories() throws Exception {
    ArchiveRef a = backup("local", "src");
    ArchiveRef b = backup("pods", "nb");
    Files.createDirectories(root.resolve(".trash/x"));
    assertThat(catalog.list(null, null)).extracting(ArchiveInfo::ref).containsExactly(a, b);
    assertThat(catalog.list("pods", null)).extracting(ArchiveInfo::ref).containsExactly(b);
    assertThat(catalog.list("nothing", null)).isEmpty();
    assertThatThrownBy(() -> catalog.list("a/b", null)).hasMessageContaining("not a usable name");
  }

  @Test
  void aMissingOrUnreadableManifestIsDamage() throws Exception {
    ArchiveRef a = backup("local", "src");
    assertThat(catalog.manifest(a).entries()).extracting(Manifest.Entry::path).contains("a.txt");
    Files.writeString(a.manifestPath(), "{not json");
    assertThatThrownBy(() -> catalog.manifest(a))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("cannot be read");
    Files.delete(a.manifestPath());
    assertThatThrownBy(() -> catalog.manifest(a))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("has no manifest");
  }

  /**
   * How many entries a backup could not read is kept in its manifest: a listing (and the health
   * check and metrics that read it) tells an archive short of its source long after its run's
   * warning is gone. A manifest written before the count was kept says nothing: not known, not 0.
   */
  @Test
  void theListingSaysHowManyEntriesABackupCouldNotRead() throws Exception {
    ArchiveRef whole = backup("local", "src");
    Fixtures.tooDeepToRead(src);
    ArchiveRef shortOf;
    try {
      BackupResult r = writer.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
      assertThat(r.unreadable()).hasSize(1);
      shortOf = r.ref();
    } finally {
      Fixtures.removeTooDeep(src);
    }
    assertThat(catalog.manifest(shortOf).unreadable()).isEqualTo(1L);
    assertThat(catalog.manifest(whole).unreadable()).isZero();
    // a fifo is left out by design: the archive still holds all there was to read
    assertThat(Fixtures.run(src, "mkfifo", "pipe").exit()).isZero();
    clock.advance(java.time.Duration.ofMinutes(1));
    ArchiveRef withFifo =
        writer.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    Files.delete(src.resolve("pipe"));
    assertThat(catalog.list("local", "src"))
        .extracting(ArchiveInfo::name, ArchiveInfo::unreadable, ArchiveInfo::incomplete)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(whole.name(), 0L, false),
            org.assertj.core.groups.Tuple.tuple(shortOf.name(), 1L, true),
            org.assertj.core.groups.Tuple.tuple(withFifo.name(), 0L, false));
    // after the entries, as its last field: the head a spooled manifest starts with is unchanged
    String json = Files.readString(shortOf.manifestPath());
    assertThat(json).endsWith(",\"unreadable\":1}");
    // an older manifest, without the count: not known (the fast reader and the binder agree)
    Files.writeString(
        whole.manifestPath(),
        Files.readString(whole.manifestPath()).replace(",\"unreadable\":0}", "}"));
    assertThat(catalog.list("local", "src").get(0).unreadable()).isNull();
    assertThat(catalog.list("local", "src").get(0).incomplete()).isFalse();
    assertThat(new Catalog(root, List.of()).manifest(whole).unreadable()).isNull();
    assertThat(Json.MANIFEST.<Manifest>readValue(shortOf.manifestPath().toFile()).unreadable())
        .isEqualTo(1L);
    // a tar stream has nothing it could not read: a pod's tar that cannot fails the backup
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("db.sql");
      e.setSize(2);
      out.putArchiveEntry(e);
      out.write("ok".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.closeArchiveEntry();
    }
    ArchiveRef streamed =
        writer
            .writeFromTar("pods", "db", new java.io.ByteArrayInputStream(tar.toByteArray()), null)
            .ref();
    assertThat(catalog.manifest(streamed).unreadable()).isZero();
  }

  @Test
  void aVerifiedArchiveWhoseFileIsGoneIsListedMissingAndNeverLatest() throws Exception {
    ArchiveRef older = backup("local", "src");
    ArchiveRef lost = backup("local", "src");
    ArchiveRef unverified = backup("local", "src");
    writer.verify(older, ProgressListener.NONE);
    writer.verify(lost, ProgressListener.NONE);
    ArchiveRef zstd =
        writer
            .writeFromDirectory(
                "local", "src", src, List.of(), List.of(), false, Compression.ZSTD, null)
            .ref();
    writer.verify(zstd, ProgressListener.NONE);
    long files = catalog.list("local", "src").get(1).files();
    Files.delete(lost.path());
    Files.delete(zstd.path());
    // never verified, but published (no writer's partial file is left): a loss as well
    Files.delete(unverified.path());

    List<ArchiveInfo> listed = catalog.list("local", "src");
    assertThat(listed)
        .extracting(ArchiveInfo::name, ArchiveInfo::damaged, ArchiveInfo::missing)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(older.name(), false, false),
            org.assertj.core.groups.Tuple.tuple(lost.name(), true, true),
            org.assertj.core.groups.Tuple.tuple(unverified.name(), true, true),
            org.assertj.core.groups.Tuple.tuple(zstd.name(), true, true));
    ArchiveInfo missing = listed.get(1);
    assertThat(missing.path()).isEqualTo(lost.path());
    assertThat(missing.sizeBytes()).isZero();
    assertThat(missing.files()).as("what was lost, from its manifest").isEqualTo(files);
    assertThat(missing.state().error())
        .startsWith("archive file " + lost.path() + " is missing (it was verified at ")
        .contains("by verify")
        .contains("delete " + lost.stem() + ".* to forget it");
    assertThat(listed.get(3).name()).as("named by its manifest").endsWith(".tar.zst");

    assertThat(catalog.resolve("local", "src", null)).isEqualTo(older);
    assertThat(catalog.newestGood("local", "src")).map(ArchiveInfo::name).contains(older.name());
    assertThat(catalog.newestVerified("local", "src"))
        .map(ArchiveInfo::name)
        .contains(older.name());
    assertThatThrownBy(() -> catalog.resolve("local", "src", lost.name()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("does not exist")
        .hasMessageContaining(
            "its manifest " + lost.manifestPath() + " is there: the archive file went missing");

    // every archive gone: the source has lost ones, not none yet
    Files.delete(older.path());
    assertThatThrownBy(() -> catalog.resolve("local", "src", null))
        .hasMessageContaining(
            "has no undamaged archive (every archive failed a check or went missing, 4 of 4;");
  }

  @Test
  void anArchiveLostBeforeItsVerifyIsMissingButAWriteThatNeverFinishedIsNot() throws Exception {
    ArchiveRef good = backup("local", "src");
    ArchiveRef lost = backup("local", "src");
    ArchiveRef unfinished = backup("local", "src");
    writer.verify(good, ProgressListener.NONE);
    // published, then deleted before its backup's verify step ran (or with verify skipped)
    Files.delete(lost.path());
    // what a writer killed just before its rename leaves: manifest, state, and the partial file
    Path partial = unfinished.path().resolveSibling("." + unfinished.name() + ".partial");
    Files.move(unfinished.path(), partial);

    List<ArchiveInfo> listed = catalog.list("local", "src");
    assertThat(listed)
        .extracting(ArchiveInfo::name, ArchiveInfo::damaged, ArchiveInfo::missing)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(good.name(), false, false),
            org.assertj.core.groups.Tuple.tuple(lost.name(), true, true));
    assertThat(listed.get(1).state().error())
        .startsWith("archive file " + lost.path() + " is missing (it was published by backup at ")
        .contains("and not verified yet)");
    assertThat(catalog.resolve("local", "src", null)).isEqualTo(good);

    // the next backup removes the unfinished write, its partial file last, and keeps the loss
    BackupResult next = writer.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(next.cleaned())
        .containsExactly(
            unfinished.stem() + ".manifest.json",
            unfinished.stem() + ".state.json",
            partial.getFileName().toString());
    assertThat(lost.manifestPath()).exists();
    assertThat(lost.statePath()).exists();
    assertThat(catalog.list("local", "src"))
        .filteredOn(ArchiveInfo::missing)
        .extracting(ArchiveInfo::name)
        .containsExactly(lost.name());
  }

  @Test
  void aVerifiedStateOrAPinWhoseManifestIsGoneTooIsListedMissing() throws Exception {
    ArchiveRef verified = backup("local", "src");
    ArchiveRef pinned = backup("local", "src");
    ArchiveRef good = backup("local", "src");
    writer.verify(verified, ProgressListener.NONE);
    writer.pin(pinned);
    for (ArchiveRef r : List.of(verified, pinned)) {
      Files.delete(r.path());
      Files.delete(r.manifestPath());
    }

    List<ArchiveInfo> listed = catalog.list("local", "src");
    assertThat(listed)
        .extracting(ArchiveInfo::name, ArchiveInfo::damaged, ArchiveInfo::missing)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(verified.name(), true, true),
            org.assertj.core.groups.Tuple.tuple(pinned.name(), true, true),
            org.assertj.core.groups.Tuple.tuple(good.name(), false, false));
    assertThat(listed.get(0).files()).isZero();
    assertThat(listed.get(0).sizeBytes()).isZero();
    assertThat(listed.get(0).state().error())
        .startsWith("archive file " + verified.path() + " is missing (it was verified at ")
        .contains(
            "its manifest is gone too, and "
                + verified.stem()
                + ".state.json are all that is left");
    assertThat(listed.get(1).pinned()).isTrue();
    assertThat(listed.get(1).state().error())
        .contains("is missing (it is pinned)")
        .contains(pinned.stem() + ".state.json, " + pinned.stem() + ".pin are all that is left");

    // no leftovers: the next backup keeps them
    BackupResult next = writer.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(next.cleaned()).isEmpty();
    assertThat(catalog.list("local", "src"))
        .filteredOn(ArchiveInfo::missing)
        .extracting(ArchiveInfo::name)
        .containsExactly(verified.name(), pinned.name());
  }

  @Test
  void aStateRecordThatCannotBeReadIsSaidAndAVerifyRewritesIt() throws Exception {
    ArchiveRef a = backup("local", "src");
    writer.verify(a, ProgressListener.NONE);
    // a legacy record that matches does not stand in for the newer one that cannot be read
    Manifest m = catalog.manifest(a);
    Json.MAPPER.writeValue(
        a.verifiedPath().toFile(),
        new ArchiveStates.Verified(clock.instant(), 1, 1, 1, m.archiveSha256()));
    Files.writeString(a.statePath(), "{\"state\": \"verif");

    ArchiveInfo listed = catalog.list("local", "src").get(0);
    assertThat(listed.state().state()).isEqualTo(ArchiveState.State.UNVERIFIED);
    assertThat(listed.damaged()).isFalse();
    assertThat(listed.state().error())
        .startsWith("state record " + a.statePath() + " cannot be read (")
        .contains("counts as unverified until a verify rewrites it");
    assertThat(catalog.newestVerified("local", "src")).isEmpty();

    Files.writeString(a.statePath(), "{}");
    assertThat(catalog.list("local", "src").get(0).state().error())
        .contains("cannot be read (it records no state)");

    writer.verify(a, ProgressListener.NONE);
    ArchiveInfo again = catalog.list("local", "src").get(0);
    assertThat(again.verified()).isTrue();
    assertThat(again.state().error()).isNull();
  }

  /** A crafted manifest whose count of unread entries is negative would list an archive whole. */
  @Test
  void aNegativeCountOfUnreadEntriesIsADamagedManifest() throws Exception {
    ArchiveRef a = backup("local", "src");
    Files.writeString(
        a.manifestPath(),
        Files.readString(a.manifestPath()).replace(",\"unreadable\":0}", ",\"unreadable\":-3}"));
    assertThat(Files.readString(a.manifestPath())).endsWith(",\"unreadable\":-3}");
    ArchiveInfo listed = catalog.list("local", "src").get(0);
    assertThat(listed.damaged()).isTrue();
    assertThat(listed.state().error()).contains("could not read is negative (-3)");
    assertThatThrownBy(() -> new Catalog(root, List.of()).manifest(a))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("could not read is negative (-3)");
  }

  private ArchiveRef backup(String set, String source) throws Exception {
    ArchiveRef ref = writer.writeFromDirectory(set, source, src, List.of(), List.of(), null).ref();
    clock.set(clock.instant().plusSeconds(60));
    return ref;
  }
}
