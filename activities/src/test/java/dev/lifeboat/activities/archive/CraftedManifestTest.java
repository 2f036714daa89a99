package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A manifest is as untrusted as its archive: one edited by hand or by an attacker must fail with a
 * message naming what is wrong, before anything is written, never with a parser's or the JVM's
 * internals, and never pass a check its archive does not.
 */
class CraftedManifestTest {
  @TempDir Path tmp;
  Repository repo;
  BackupResult backup;

  @BeforeEach
  void setUp() throws IOException {
    repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Fixtures.write(src.resolve("a.txt"), "alpha", "rw-r--r--");
    Fixtures.write(src.resolve("run.sh"), "#!/bin/sh\necho hi\n", "rwxr-xr-x");
    Files.write(src.resolve("weights.bin"), Fixtures.floats(300_000, 1));
    backup =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no totals        | \"totals\"\\s*:\\s*\\{[^}]*\\}       | \"totals\":null         | it has no totals",
        "no type          | \"type\"\\s*:\\s*\"file\"          | \"type\":null           | has no type",
        "hex mode         | \"mode\"\\s*:\\s*\"0644\"          | \"mode\":\"0x1ff\"      | not octal permission bits",
        "no time          | \"mtime\"\\s*:\\s*\"[^\"]*\"       | \"mtime\":null          | has no modification time",
        "negative size    | \"size\"\\s*:\\s*5\\s*,            | \"size\":-5,            | has size -5",
        "null entry       | \"entries\"\\s*:\\s*\\[             | \"entries\":[null,      | entry #1 is empty (null)",
        "not JSON         | ^\\{                                | '{{'                    | not a manifest Lifeboat can read",
        "wrong field type | \"formatVersion\"\\s*:\\s*\\d+      | \"formatVersion\":\"x\" | not a manifest Lifeboat can read",
        "unknown type     | \"type\"\\s*:\\s*\"file\"          | \"type\":\"fifo\"         | field 'entries[0].type' holds fifo, which is not an entry type",
        "no ISO time      | \"mtime\"\\s*:\\s*\"[^\"]*\"       | \"mtime\":\"yesterday\"   | 'entries[0].mtime'",
        "empty file       | (?s)^.*$                            | ''                      | the file is empty",
        "trailing object  | (?s)\\}\\s*$                        | '} {}'                  | something follows the manifest's object",
        "key twice        | \"formatVersion\"\\s*:\\s*(\\d+)    | \"formatVersion\":5,\"formatVersion\":5 | a key is given twice",
        "fraction size    | \"size\"\\s*:\\s*5\\s*,            | \"size\":5.5,           | whole number",
        "huge number      | \"size\"\\s*:\\s*5\\s*,            | \"size\":1e400,         | field 'entries[0].size' holds Infinity, which is not a whole number",
        "number as text   | \"size\"\\s*:\\s*5\\s*,            | \"size\":\"5\",         | field 'entries[0].size'",
        "future format    | \"formatVersion\"\\s*:\\s*\\d+      | \"formatVersion\":99    | its format version is 99",
      })
  void aManifestMissingWhatReadersNeedIsNamedNotAnInternalError(
      String label, String pattern, String replacement, String message) throws Exception {
    Path manifest = backup.ref().manifestPath();
    String json = Files.readString(manifest);
    String edited = json.replaceFirst(pattern, replacement.replace("\\", "\\\\"));
    assertThat(edited).as("the edit applies").isNotEqualTo(json);
    Files.writeString(manifest, edited);
    Path target = tmp.resolve("target");
    for (ThrowingRead read :
        List.<ThrowingRead>of(
            () -> repo.verify(backup.ref(), ProgressListener.NONE),
            () -> repo.restoreToDirectory(backup.ref(), target, false, ProgressListener.NONE),
            () -> repo.readFile(backup.ref(), "a.txt", new ByteArrayOutputStream()))) {
      assertThatThrownBy(read::run)
          .isInstanceOf(DamagedArchive.class)
          .hasMessageContaining(message)
          .hasMessageNotContaining("Exception")
          .hasMessageNotContaining("jackson")
          .hasMessageNotContaining("[Source")
          .hasMessageNotContaining("dev.lifeboat")
          .hasMessageNotContaining("java.");
    }
    assertThat(target).doesNotExist();
  }

  interface ThrowingRead {
    void run() throws Exception;
  }

  @Test
  void totalsThatAreNotTheSumOfTheEntriesAreDamageNotASpaceCheckThatOverflows() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    Manifest.Totals t = m.totals();
    write(
        m.with(
            m.entries(),
            new Manifest.Totals(
                t.entries(),
                t.files(),
                Long.MAX_VALUE - 10,
                t.tarBytes(),
                t.compressedBytes(),
                t.endMemberOffset()),
            m.archiveSha256(),
            m.root()));
    Path target = tmp.resolve("target");
    assertThatThrownBy(
            () -> repo.restoreToDirectory(backup.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("its totals (3 entries, 3 files, " + (Long.MAX_VALUE - 10))
        .hasMessageContaining("are not those of its entries");
    assertThat(target).doesNotExist();
  }

  @Test
  void aModeTheTarDoesNotHoldFailsVerifyAndRestoreLeavingNoFolderBehind() throws Exception {
    editEntry("a.txt", e -> entry(e, "4755", e.mtime(), e.sha256()));
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'a.txt' has mode 0644 but the manifest says 4755");
    assertThat(repo.list("local", "src").get(0).state().isDamaged()).isTrue();
    Path target = tmp.resolve("new/deeper/target");
    assertThatThrownBy(
            () -> repo.restoreToDirectory(backup.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("has mode 0644 but the manifest says 4755");
    assertThat(tmp.resolve("new")).as("the folders the restore made are gone").doesNotExist();
  }

  @Test
  void aManifestChangedAfterItsVerifyIsNotReusedAndTheNextBackupReadsEverything() throws Exception {
    repo.verify(backup.ref(), ProgressListener.NONE);
    // one hex digit of a file's digest, as rot or a hand edit would leave it: the bytes of the
    // archive itself (and their member CRC-32C) are untouched
    editEntry(
        "weights.bin",
        e ->
            entry(
                e,
                e.mode(),
                e.mtime(),
                (e.sha256().charAt(0) == '0' ? "1" : "0") + e.sha256().substring(1)));
    Fixtures.TestClock later = new Fixtures.TestClock(Instant.now().plusSeconds(60));
    Repository next = new Repository(tmp.resolve("repo"), later);
    BackupResult second =
        next.writeFromDirectory(
            "local", "src", tmp.resolve("src"), List.of(), List.of(), ProgressListener.NONE);
    assertThat(second.reusedFiles()).isZero();
    next.verify(second.ref(), ProgressListener.NONE);
    ArchiveInfo first =
        next.list("local", "src").stream()
            .filter(a -> a.name().equals(backup.ref().name()))
            .findFirst()
            .orElseThrow();
    assertThat(first.state().isDamaged()).isTrue();
    assertThat(first.state().error()).contains("changed after the archive was verified");
  }

  @Test
  void aFolderModeEditedAfterItsVerifyIsNotAppliedAndTheArchiveIsDamaged() throws Exception {
    repo.verify(backup.ref(), ProgressListener.NONE);
    Manifest m = repo.manifest(backup.ref());
    Manifest.Root r = m.root();
    assertThat(r).isNotNull();
    // the folder's own metadata is in no tar header: only the verified manifest vouches for it
    write(
        m.with(
            m.entries(),
            m.totals(),
            m.archiveSha256(),
            new Manifest.Root("7777", r.mtime(), r.uid(), r.gid(), r.user(), r.group())));
    List<String> messages = new ArrayList<>();
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(backup.ref(), target, false, Fixtures.collecting(messages));
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("alpha");
    int mode = (Integer) Files.getAttribute(target, "unix:mode") & 07777;
    assertThat(mode & 07002).as("no set-id, sticky or world-write bits from the edit").isZero();
    assertThat(messages)
        .anyMatch(s -> s.contains("changed after the archive was verified"))
        .anyMatch(s -> s.contains("were not applied"));
    assertThat(repo.list("local", "src").get(0).state().isDamaged()).isTrue();

    // a verify says so too, instead of recording the edited manifest as checked
    Repository again = new Repository(tmp.resolve("repo"));
    ArchiveStates.write(
        backup.ref(),
        ArchiveState.verified(
            Instant.now(),
            "verify",
            Digests.hex(new byte[32]),
            ArchiveStates.modified(backup.ref())));
    assertThatThrownBy(() -> again.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("changed after the archive was verified");
    assertThat(again.list("local", "src").get(0).state().isDamaged()).isTrue();
    // and a folder download's check, which a damaged record already stops, on its own
    ArchiveStates.write(
        backup.ref(),
        ArchiveState.verified(
            Instant.now(),
            "verify",
            Digests.hex(new byte[32]),
            ArchiveStates.modified(backup.ref())));
    assertThatThrownBy(() -> again.checkEntries(backup.ref(), e -> true))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("changed after the archive was verified");
  }

  @Test
  void controlCharactersOfACraftedNameAreShownAsEscapesInMessages() throws Exception {
    byte[] tar = RestoreSafetyTest.tar("FILE", "../a\tb\u001b[31mred\u202e\nfake line", null);
    BackupResult b =
        repo.writeFromTar("crafted", "ctl", new ByteArrayInputStream(tar), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'../a\\tb\\x1b[31mred\\u202e\\nfake line' contains '..'")
        .satisfies(
            e ->
                assertThat(e.getMessage())
                    .as("no raw control character reaches a log or terminal")
                    .doesNotContainPattern("[\\x00-\\x1f\\x7f\\u202e]"));
    assertThat(target).doesNotExist();
  }

  @Test
  void aTimeTheTarDoesNotHoldFailsVerify() throws Exception {
    editEntry("run.sh", e -> entry(e, e.mode(), e.mtime().minusSeconds(3600), e.sha256()));
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'run.sh' was modified at")
        .hasMessageContaining("but the manifest says");
  }

  @Test
  void aRestoreOfAManifestWithWrongOffsetsRestoresInTarOrderAndMarksTheArchiveDamaged()
      throws Exception {
    Manifest m = repo.manifest(backup.ref());
    List<Entry> entries = new ArrayList<>(m.entries());
    Entry last = entries.get(entries.size() - 1);
    entries.set(
        entries.size() - 1,
        new Entry(
            last.path(),
            last.type(),
            last.mode(),
            last.mtime(),
            last.size(),
            last.sha256(),
            last.linkTarget(),
            last.tarOffset(),
            last.memberOffset() + 1,
            last.memberLength() - 1));
    write(m.with(entries, m.totals(), m.archiveSha256(), m.root()));
    List<String> messages = new ArrayList<>();
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(backup.ref(), target, false, Fixtures.collecting(messages));
    assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("alpha");
    assertThat(Files.readAllBytes(target.resolve("weights.bin")))
        .isEqualTo(Fixtures.floats(300_000, 1));
    assertThat(messages).anyMatch(s -> s.contains("marking the archive damaged"));
    ArchiveInfo info = repo.list("local", "src").get(0);
    assertThat(info.state().isDamaged()).isTrue();
    assertThat(info.state().error()).contains("the manifest places '" + last.path() + "'");
  }

  @Test
  void aNameTheArchiveHoldsTwiceReadsAsTheLastOneAsARestoreLeavesIt() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      RestoreSafetyTest.put(out, "twice.txt", TarConstants.LF_NORMAL, null, "first");
      RestoreSafetyTest.put(out, "twice.txt", TarConstants.LF_NORMAL, null, "second");
    }
    BackupResult b =
        repo.writeFromTar(
            "crafted", "dup", new ByteArrayInputStream(bytes.toByteArray()), ProgressListener.NONE);
    ByteArrayOutputStream one = new ByteArrayOutputStream();
    repo.readFile(b.ref(), "twice.txt", one);
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readString(target.resolve("twice.txt"))).isEqualTo("second");
    assertThat(one.toString(StandardCharsets.UTF_8)).isEqualTo("second");
  }

  @Test
  void aNameHeldAsTwoKindsIsRefusedBeforeAnythingIsWritten() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      RestoreSafetyTest.put(out, "s", TarConstants.LF_SYMLINK, "other", null);
      RestoreSafetyTest.put(out, "s", TarConstants.LF_NORMAL, null, "the file");
    }
    BackupResult b =
        repo.writeFromTar(
            "crafted",
            "kinds",
            new ByteArrayInputStream(bytes.toByteArray()),
            ProgressListener.NONE);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("nothing was written")
        .hasMessageContaining("holds 's' twice, as a symlink and then as a file");
    assertThat(target).doesNotExist();
  }

  @Test
  void aDownloadOfAFolderIsRefusedForNamesARestoreWouldRefuse() throws Exception {
    byte[] tar = RestoreSafetyTest.tar("FILE", "../escaped.txt", null);
    BackupResult b =
        repo.writeFromTar("crafted", "evil", new ByteArrayInputStream(tar), ProgressListener.NONE);
    assertThatThrownBy(() -> repo.restorableManifest(b.ref()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'../escaped.txt' contains '..'");
    assertThat(repo.restorableManifest(backup.ref()).entries()).hasSize(3);
  }

  @Test
  void anArchiveARestoreWouldRefuseIsNotVerifiedButDamaged() throws Exception {
    for (String name : List.of("../../outside/x", "/etc/cron.d/x")) {
      byte[] tar = RestoreSafetyTest.tar("FILE", name, null);
      BackupResult b =
          repo.writeFromTar(
              "crafted",
              "refused" + name.length(),
              new ByteArrayInputStream(tar),
              ProgressListener.NONE);
      assertThatThrownBy(() -> repo.verify(b.ref(), ProgressListener.NONE))
          .as(name)
          .isInstanceOf(DamagedArchive.class)
          .hasMessageContaining("cannot be restored safely")
          .hasMessageContaining("'" + name + "'");
      ArchiveInfo info = repo.list("crafted", "refused" + name.length()).get(0);
      assertThat(info.state().isDamaged()).as("retention and drills pass it over").isTrue();
    }
  }

  private void editEntry(String path, UnaryOperator<Entry> edit) throws IOException {
    Manifest m = repo.manifest(backup.ref());
    List<Entry> entries = new ArrayList<>();
    for (Entry e : m.entries()) {
      entries.add(e.path().equals(path) ? edit.apply(e) : e);
    }
    write(m.with(entries, m.totals(), m.archiveSha256(), m.root()));
  }

  /** File entry {@code e} with another mode, time and digest, the rest as it was. */
  private static Entry entry(Entry e, String mode, Instant mtime, String sha256) {
    assertThat(e.type()).isEqualTo(EntryType.FILE);
    return new Entry(
        e.path(),
        e.type(),
        mode,
        mtime,
        e.size(),
        sha256,
        e.linkTarget(),
        e.tarOffset(),
        e.memberOffset(),
        e.memberLength(),
        e.ctime(),
        e.inode(),
        e.memberCrc32c());
  }

  private void write(Manifest m) throws IOException {
    Files.write(backup.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(m));
  }
}
