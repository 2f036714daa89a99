package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way an archive can disagree with its manifest is named, with the entry it happened at. */
class ArchiveEntriesTest {
  @TempDir Path tmp;
  static final ArchiveRef REF =
      new ArchiveRef(
          "local", "src", "20261122T001500Z.tar.gz", Path.of("/r/20261122T001500Z.tar.gz"));
  static final List<Entry> ENTRIES =
      List.of(
          entry("notebooks", EntryType.DIR, 0, null),
          entry("notebooks/a.ipynb", EntryType.FILE, 5, null),
          entry("link", EntryType.SYMLINK, 0, "notebooks/a.ipynb"),
          entry("hard", EntryType.HARDLINK, 0, "notebooks/a.ipynb"));

  @Test
  void entriesThatMatchTheManifestPassWithOrWithoutLeadingSlashOrDot() {
    assertThat(ArchiveEntries.expect(REF, ENTRIES, 0, tar("./notebooks/", TarConstants.LF_DIR)))
        .isEqualTo(ENTRIES.get(0));
    assertThat(ArchiveEntries.expect(REF, ENTRIES, 1, file("notebooks/a.ipynb", 5)))
        .isEqualTo(ENTRIES.get(1));
    assertThat(
            ArchiveEntries.expect(
                REF, ENTRIES, 2, link("link", TarConstants.LF_SYMLINK, "notebooks/a.ipynb")))
        .isEqualTo(ENTRIES.get(2));
    assertThat(
            ArchiveEntries.expect(
                REF, ENTRIES, 3, link("/hard", TarConstants.LF_LINK, "./notebooks/a.ipynb")))
        .isEqualTo(ENTRIES.get(3));
    ArchiveEntries.expectEnd(REF, ENTRIES, ENTRIES.size());
  }

  @Test
  void eachDisagreementIsDamageNamingTheEntry() {
    assertThatThrownBy(() -> ArchiveEntries.expect(REF, ENTRIES, 1, file("notebooks/b.ipynb", 5)))
        .isInstanceOf(DamagedArchive.class)
        .hasMessage(
            "archive 20261122T001500Z.tar.gz: entry #2 is 'notebooks/b.ipynb' but the manifest"
                + " says 'notebooks/a.ipynb'");
    assertThatThrownBy(
            () ->
                ArchiveEntries.expect(
                    REF, ENTRIES, 1, tar("notebooks/a.ipynb", TarConstants.LF_DIR)))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'notebooks/a.ipynb' is a DIR but the manifest says FILE");
    // commons-compress calls a device or fifo header a file: tar xzf would make a device node
    // where a restore makes the manifest's empty file
    for (byte flag :
        new byte[] {TarConstants.LF_CHR, TarConstants.LF_BLK, TarConstants.LF_FIFO, (byte) 'V'}) {
      assertThatThrownBy(
              () -> ArchiveEntries.expect(REF, ENTRIES, 1, tar("notebooks/a.ipynb", flag)))
          .as("type %c", (char) flag)
          .isInstanceOf(DamagedArchive.class)
          .hasMessageContaining("but the manifest says FILE");
    }
    assertThatThrownBy(
            () ->
                ArchiveEntries.expect(
                    REF, ENTRIES, 1, tar("notebooks/a.ipynb", TarConstants.LF_CHR)))
        .hasMessageContaining("'notebooks/a.ipynb' is a character device but the manifest says");
    assertThatThrownBy(() -> ArchiveEntries.expect(REF, ENTRIES, 1, file("notebooks/a.ipynb", 6)))
        .hasMessageContaining("'notebooks/a.ipynb' has 6 bytes but the manifest says 5");
    TarArchiveEntry setuid = file("notebooks/a.ipynb", 5);
    setuid.setMode(04755);
    assertThatThrownBy(() -> ArchiveEntries.expect(REF, ENTRIES, 1, setuid))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'notebooks/a.ipynb' has mode 4755 but the manifest says 0644");
    TarArchiveEntry later = file("notebooks/a.ipynb", 5);
    later.setModTime(java.nio.file.attribute.FileTime.from(Instant.EPOCH.plusSeconds(60)));
    assertThatThrownBy(() -> ArchiveEntries.expect(REF, ENTRIES, 1, later))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining(
            "'notebooks/a.ipynb' was modified at 1970-01-01T00:01:00Z but the manifest says"
                + " 1970-01-01T00:00:00Z");
    assertThatThrownBy(
            () ->
                ArchiveEntries.expect(
                    REF, ENTRIES, 2, link("link", TarConstants.LF_SYMLINK, "/etc/passwd")))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining(
            "'link' links to '/etc/passwd' but the manifest says 'notebooks/a.ipynb'");
    assertThatThrownBy(() -> ArchiveEntries.expect(REF, ENTRIES, 4, file("extra", 1)))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("entry 'extra' is not in the manifest (which lists 4 entries)");
    assertThatThrownBy(() -> ArchiveEntries.expectEnd(REF, ENTRIES, 2))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining(
            "ends after 2 entries but the manifest lists 4; first missing: 'link'");
    Manifest m =
        new Manifest(1, "local", "src", REF.name(), Instant.EPOCH, "gzip", ENTRIES, null, "ab");
    ArchiveEntries.checkArchiveDigest(REF, m, "ab");
    assertThatThrownBy(() -> ArchiveEntries.checkArchiveDigest(REF, m, "cd"))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("(file sha256 cd, manifest ab)");
  }

  @Test
  void decodingFailuresAreTheArchivesAndDiskFailuresAreNot() {
    assertThat(ArchiveEntries.isOwnStreamFailure(new ZipException("invalid block type"))).isTrue();
    assertThat(ArchiveEntries.isOwnStreamFailure(new EOFException())).isTrue();
    assertThat(ArchiveEntries.isOwnStreamFailure(new IOException("bad header"))).isTrue();
    assertThat(ArchiveEntries.isOwnStreamFailure(new AccessDeniedException("/r"))).isFalse();
    assertThat(ArchiveEntries.isOwnStreamFailure(new InterruptedIOException())).isFalse();
  }

  @Test
  void aFileThatIsNotAnArchiveIsCorruptAtItsStartAndAMissingOneIsNotDamage() throws Exception {
    Path noise = Files.write(tmp.resolve("20261122T001500Z.tar.gz"), "not gzip at all".getBytes());
    ArchiveRef ref = new ArchiveRef("local", "src", noise.getFileName().toString(), noise);
    assertThatThrownBy(() -> ArchiveEntries.open(ref))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageStartingWith("archive 20261122T001500Z.tar.gz is corrupt at its start: ");
    ArchiveRef gone = new ArchiveRef("local", "src", "x", tmp.resolve("gone.tar.gz"));
    assertThatThrownBy(() -> ArchiveEntries.open(gone)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void aTruncatedArchiveIsCorruptNearTheEntryWhereItBreaks() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    for (int i = 0; i < 40; i++) {
      byte[] noise = new byte[50_000];
      new java.util.Random(i).nextBytes(noise);
      Files.write(src.resolve("f" + i + ".bin"), noise);
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    ArchiveRef ref = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    List<Entry> entries = repo.manifest(ref).entries();
    try (var f = new java.io.RandomAccessFile(ref.path().toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    assertThatThrownBy(
            () -> {
              try (ArchiveReader reader = ArchiveEntries.open(ref)) {
                int i = 0;
                TarArchiveEntry te;
                while ((te = ArchiveEntries.next(reader, ref, entries, i)) != null) {
                  ArchiveEntries.expect(ref, entries, i, te);
                  i++;
                }
                ArchiveEntries.expectEnd(ref, entries, i);
              }
            })
        .isInstanceOf(DamagedArchive.class)
        .hasMessageMatching(
            "archive " + ref.name() + " (is corrupt at entry 'f\\d+\\.bin'|ends after).*");
  }

  private static Entry entry(String path, EntryType type, long size, String link) {
    return new Entry(path, type, "0644", Instant.EPOCH, size, null, link, 0, 0, 0, null, null);
  }

  private static TarArchiveEntry tar(String name, byte type) {
    return asListed(new TarArchiveEntry(name, type));
  }

  private static TarArchiveEntry file(String name, long size) {
    TarArchiveEntry te = asListed(new TarArchiveEntry(name));
    te.setSize(size);
    return te;
  }

  private static TarArchiveEntry link(String name, byte type, String target) {
    TarArchiveEntry te = asListed(new TarArchiveEntry(name, type));
    te.setLinkName(target);
    return te;
  }

  /** The mode and time {@link #entry} gives every entry of the manifest. */
  private static TarArchiveEntry asListed(TarArchiveEntry te) {
    te.setMode(0644);
    te.setModTime(java.nio.file.attribute.FileTime.from(Instant.EPOCH));
    return te;
  }
}
