package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestoreSafetyTest {
  @TempDir Path tmp;
  Repository repo;

  @BeforeEach
  void setUp() {
    repo = new Repository(tmp.resolve("repo"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "dot-dot path     | FILE     | ../escaped.txt      |                 | '../escaped.txt' contains '..'",
        "nested dot-dot   | FILE     | sub/../../esc.txt   |                 | 'sub/../../esc.txt' contains '..'",
        "absolute path    | FILE     | /tmp/lifeboat-abs   |                 | '/tmp/lifeboat-abs' has an absolute path",
        "hardlink outside | HARDLINK | evil-hard           | ../outside.txt  | hardlink 'evil-hard' points outside",
        "hardlink abs     | HARDLINK | evil-hard           | /etc/passwd     | hardlink 'evil-hard' points outside",
      })
  void entriesThatWouldLeaveTheTargetAreRefusedBeforeAnythingIsWritten(
      String label, String kind, String name, String link, String message) throws Exception {
    byte[] tar = tar(kind, name, link);
    BackupResult b =
        repo.writeFromTar("crafted", "evil", new ByteArrayInputStream(tar), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(message)
        .hasMessageContaining("nothing was written");
    assertThat(target).doesNotExist();
    assertThat(tmp.resolve("escaped.txt")).doesNotExist();
    assertThat(Path.of("/tmp/lifeboat-abs")).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "file below a symlink  | lies below 'evil', which the archive makes a symlink",
        "symlink below one     | lies below 'evil', which the archive makes a symlink",
        "file below a file     | lies below 'ok.txt', which the archive makes a file",
        "file over a full dir  | would replace a folder the archive has put entries in",
        "hardlink to itself    | hardlink 'a' points to itself",
      })
  void aCleanRestoreOfAnArchiveThatCannotBeExtractedKeepsTheTarget(String label, String message)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      put(out, "ok.txt", TarConstants.LF_NORMAL, null, "harmless");
      switch (label) {
        case "file below a symlink" -> {
          put(out, "evil", TarConstants.LF_SYMLINK, tmp.resolve("outside").toString(), null);
          put(out, "evil/pwned.txt", TarConstants.LF_NORMAL, null, "pwned");
        }
        case "symlink below one" -> {
          put(out, "evil", TarConstants.LF_SYMLINK, "sub", null);
          put(out, "evil/x", TarConstants.LF_SYMLINK, "/etc", null);
        }
        case "file below a file" -> put(out, "ok.txt/x", TarConstants.LF_NORMAL, null, "x");
        case "file over a full dir" -> {
          put(out, "d/", TarConstants.LF_DIR, null, null);
          put(out, "d/x", TarConstants.LF_NORMAL, null, "x");
          put(out, "d", TarConstants.LF_NORMAL, null, "d");
        }
        default -> {
          put(out, "a", TarConstants.LF_NORMAL, null, "a");
          put(out, "a", TarConstants.LF_LINK, "a", null);
        }
      }
    }
    BackupResult b =
        repo.writeFromTar(
            "crafted", "bad", new ByteArrayInputStream(bytes.toByteArray()), ProgressListener.NONE);
    Files.createDirectories(tmp.resolve("outside"));
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("keep1.txt"), "keep me");
    Files.writeString(Files.createDirectories(target.resolve("keepdir")).resolve("keep2.txt"), "2");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("nothing was written")
        .hasMessageContaining(message);
    assertThat(Fixtures.describe(target))
        .containsOnlyKeys("keep1.txt", "keepdir", "keepdir/keep2.txt");
    try (Stream<Path> s = Files.list(tmp.resolve("outside"))) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void aTargetThatCannotBeEmptiedIsRefusedBeforeAnythingIsRemoved() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("a.txt"), "keep me");
    Path locked = Files.createDirectories(target.resolve("zlocked"));
    Files.writeString(locked.resolve("b.txt"), "keep me too");
    // immutable: not even root may remove what it holds (as another user's folder is for us)
    Fixtures.Run chattr = Fixtures.run(tmp, "chattr", "+i", locked.toString());
    org.junit.jupiter.api.Assumptions.assumeTrue(
        chattr.exit() == 0, "chattr +i is not possible here: " + chattr.err());
    try {
      assertThatThrownBy(
              () -> repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("cannot be emptied")
          .hasMessageContaining(locked.toString())
          .hasMessageContaining("nothing was removed");
      assertThat(target.resolve("a.txt")).hasContent("keep me");
      assertThat(locked.resolve("b.txt")).hasContent("keep me too");
    } finally {
      Fixtures.run(tmp, "chattr", "-i", locked.toString());
    }
  }

  @Test
  void aManifestNameNoFileCanHaveIsRefusedBeforeAnythingIsWritten() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path manifest =
        b.ref().path().resolveSibling(ArchiveNames.stem(b.ref().name()) + ".manifest.json");
    // a lone surrogate: text no file name encoding can spell
    Files.writeString(
        manifest, Files.readString(manifest).replace("\"new.txt\"", "\"\\ud800new.txt\""));
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not a name a file can have")
        .hasMessageContaining("nothing was written");
    assertThat(target).doesNotExist();
  }

  @Test
  void aNonEmptyTargetIsRefusedWithoutClean() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("old.txt"), "old");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not empty")
        .hasMessageContaining("clean");
    assertThat(Files.readString(target.resolve("old.txt"))).isEqualTo("old");
    assertThat(target.resolve("new.txt")).doesNotExist();

    repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE);
    assertThat(target.resolve("old.txt")).doesNotExist();
    assertThat(Files.readString(target.resolve("new.txt"))).isEqualTo("new");
  }

  @Test
  void cleanWithACorruptArchiveLeavesTheTargetUntouched() throws Exception {
    BackupResult b = backupOf("new.txt", "new content that is long enough to matter ".repeat(100));
    Manifest m = repo.manifest(b.ref());
    Manifest.Entry e = m.entries().get(0);
    Fixtures.damageMember(b.ref().path(), e);
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("new.txt");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("precious.txt");
    }
    assertThat(Files.readString(target.resolve("precious.txt"))).isEqualTo("keep me");
  }

  @Test
  void aCorruptArchiveRestoredIntoAnEmptyTargetLeavesNoHalfTree() throws Exception {
    BackupResult b = backupOf("new.txt", "x".repeat(10_000));
    Manifest.Entry e = repo.manifest(b.ref()).entries().get(0);
    Fixtures.damageMember(b.ref().path(), e);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("new.txt");
    assertThat(target).as("the folder the restore made is gone").doesNotExist();
  }

  @Test
  void symlinksAreRestoredExactlyAsArchivedWhateverTheyPointTo() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      put(out, "ok.txt", TarConstants.LF_NORMAL, null, "harmless");
      put(out, "venv/bin/python", TarConstants.LF_SYMLINK, "/usr/bin/python3", null);
      put(out, "shared", TarConstants.LF_SYMLINK, "/mnt/nfs/shared/data", null);
      put(out, "sub/up", TarConstants.LF_SYMLINK, "../../elsewhere", null);
      put(out, "dangling", TarConstants.LF_SYMLINK, "no-such-file", null);
    }
    BackupResult b =
        repo.writeFromTar(
            "crafted",
            "links",
            new ByteArrayInputStream(bytes.toByteArray()),
            ProgressListener.NONE);
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readSymbolicLink(target.resolve("venv/bin/python")))
        .isEqualTo(Path.of("/usr/bin/python3"));
    assertThat(Files.readSymbolicLink(target.resolve("shared")))
        .isEqualTo(Path.of("/mnt/nfs/shared/data"));
    assertThat(Files.readSymbolicLink(target.resolve("sub/up")))
        .isEqualTo(Path.of("../../elsewhere"));
    assertThat(Files.readSymbolicLink(target.resolve("dangling")))
        .isEqualTo(Path.of("no-such-file"));
    assertThat(target.resolve(Restorer.MARKER)).doesNotExist();
  }

  @Test
  void targetsHoldingTheRepositoryOrLifeboatAreRefusedEvenWithClean() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    Path code = Path.of(Restorer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Map<Path, String> refused = new LinkedHashMap<>();
    refused.put(repo.root(), "is the backup repository");
    refused.put(repo.root().resolve("local/src"), "is inside the backup repository");
    refused.put(tmp, "holds the backup repository");
    refused.put(Path.of("/"), "is the root directory");
    refused.put(cwd, "holds the running Lifeboat");
    refused.put(cwd.getParent(), "holds the running Lifeboat");
    refused.put(code, "holds the running Lifeboat");
    for (Map.Entry<Path, String> r : refused.entrySet()) {
      assertThatThrownBy(
              () -> repo.restoreToDirectory(b.ref(), r.getKey(), true, ProgressListener.NONE))
          .as(r.getKey().toString())
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(r.getValue())
          .hasMessageContaining(r.getKey().toString());
    }
    // a symlink to the repository is the repository
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), repo.root());
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), alias, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("backup repository");
    assertThat(b.ref().path()).exists();
    assertThat(repo.list("local", "src")).hasSize(1);
  }

  @Test
  void aTargetHoldingTheArchiveOrAnArchiveRootIsRefusedBeforeAnythingIsRemoved() throws Exception {
    // before, a clean restore into a folder with the archive drive mounted below it emptied the
    // drive: the restore failed, naming only the archive's path, and every archive was gone
    Path target = Files.createDirectories(tmp.resolve("rest18"));
    Files.writeString(target.resolve("mine.txt"), "the user's");
    Path drive = target.resolve("usb");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
    BackupResult onDrive =
        new Repository(drive).writeFromDirectory("local", "d4", src, List.of(), List.of(), null);
    Repository withDrive = new Repository(tmp.resolve("repo"), List.of(drive));
    ArchiveRef ref = withDrive.resolve(null, null, onDrive.ref().path().toString());
    ArchiveRef inRepo =
        withDrive.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    // the same folder through a link: compared as real paths
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), tmp).resolve("rest18");
    Map<Path, String> refused = new LinkedHashMap<>();
    refused.put(target, "holds the archive root " + drive);
    refused.put(alias, "holds the archive root " + drive);
    refused.put(drive.resolve("local"), "holds the archive being restored (" + ref.path() + ")");
    for (Map.Entry<Path, String> r : refused.entrySet()) {
      for (boolean clean : new boolean[] {true, false}) {
        assertThatThrownBy(
                () -> withDrive.restoreToDirectory(ref, r.getKey(), clean, ProgressListener.NONE))
            .as(r.getKey() + (clean ? " clean" : ""))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining("restore target " + r.getKey())
            .hasMessageContaining(r.getValue());
      }
    }
    // an archive from the repository may not empty the drive either
    for (Path t : List.of(target, alias)) {
      assertThatThrownBy(() -> withDrive.restoreToDirectory(inRepo, t, true, ProgressListener.NONE))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("restore target " + t + " holds the archive root " + drive);
    }
    assertThat(Files.readString(target.resolve("mine.txt"))).isEqualTo("the user's");
    withDrive.verify(ref, null);
    // a folder beside the drive is a target like any other (one on it: see the next test)
    Path beside = tmp.resolve("restored");
    assertThat(withDrive.restoreToDirectory(ref, beside, true, ProgressListener.NONE).files())
        .isEqualTo(1);
    assertThat(beside.resolve("a.txt")).hasContent("a");
  }

  @Test
  void aTargetInAnArchiveRootOrTheRepositoryIsRefusedCleanOrNot() throws Exception {
    // before, a clean restore into <drive>/lifeboat/home emptied the drive's archives of that
    // source, and one into a new folder on the drive wrote files named like archives among them
    Path drive = tmp.resolve("drive");
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
    new Repository(drive).writeFromDirectory("lifeboat", "home", src, List.of(), List.of(), null);
    new Repository(drive).writeFromDirectory("lifeboat", "work", src, List.of(), List.of(), null);
    Repository withDrive = new Repository(tmp.resolve("repo"), List.of(drive));
    ArchiveRef inRepo =
        withDrive.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    withDrive.writeFromDirectory("local", "other", src, List.of(), List.of(), null);
    Map<String, String> driveBefore = Fixtures.describe(drive);
    Map<String, String> repoBefore = Fixtures.describe(withDrive.root());
    Path link = Files.createSymbolicLink(tmp.resolve("link"), drive.resolve("lifeboat"));
    Map<Path, String> refused = new LinkedHashMap<>();
    refused.put(drive, "is the archive root " + drive);
    refused.put(drive.resolve("lifeboat/home"), "is inside the archive root " + drive);
    refused.put(drive.resolve("lifeboat/new"), "is inside the archive root " + drive);
    refused.put(link.resolve("work"), "is inside the archive root " + drive);
    refused.put(withDrive.root().resolve("local"), "is inside the backup repository");
    refused.put(withDrive.root().resolve("local/new"), "is inside the backup repository");
    for (Map.Entry<Path, String> r : refused.entrySet()) {
      for (boolean clean : new boolean[] {true, false}) {
        assertThatThrownBy(() -> withDrive.restoreToDirectory(inRepo, r.getKey(), clean, null))
            .as(r.getKey() + (clean ? " clean" : ""))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining("restore target " + r.getKey() + " " + r.getValue())
            .hasMessageContaining(
                "restore into a folder outside the repository and the archive roots");
      }
    }
    assertThat(Fixtures.describe(drive)).isEqualTo(driveBefore);
    assertThat(Fixtures.describe(withDrive.root())).isEqualTo(repoBefore);
    assertThat(withDrive.list("local", null)).hasSize(2);
  }

  @Test
  void aCleanRestoreIntoAFolderHoldingArchivesIsRefusedBeforeAnythingIsRemoved() throws Exception {
    // another machine's drive, an old repository: no archive root, but archives all the same
    Path old = tmp.resolve("old");
    Path src = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(src.resolve("a.txt"), "a");
    ArchiveRef held =
        new Repository(old)
            .writeFromDirectory("lifeboat", "home", src, List.of(), List.of(), null)
            .ref();
    Files.writeString(old.resolve("notes.txt"), "the user's");
    Path deep = Files.createDirectories(tmp.resolve("copies/2024/march/usb/lifeboat/home"));
    Files.copy(held.path(), deep.resolve(held.name()));
    Files.copy(held.manifestPath(), deep.resolve(held.manifestPath().getFileName()));
    BackupResult b = backupOf("new.txt", "new");
    for (Path target :
        List.of(
            old, old.resolve("lifeboat"), old.resolve("lifeboat/home"), tmp.resolve("copies"))) {
      Map<String, String> before = Fixtures.describe(target);
      assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, null))
          .as(target.toString())
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("restore target " + target + " holds Lifeboat archives (")
          .hasMessageContaining(", beside its manifest), which a clean restore would delete")
          .hasMessageContaining("restore into a folder outside the repository and the archive")
          .hasMessageContaining("nothing was removed");
      assertThat(Fixtures.describe(target)).as(target.toString()).isEqualTo(before);
    }
    // a repository without archives yet still has its registry of restores
    Path bare = tmp.resolve("bare");
    Files.createDirectories(bare.resolve("repo/" + RestoreTargets.DIR));
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), bare, true, null))
        .hasMessageContaining(
            "restore target "
                + bare
                + " holds a Lifeboat backup repository (its restore registry "
                + bare.resolve("repo/" + RestoreTargets.DIR)
                + ")");
    assertThat(bare.resolve("repo/" + RestoreTargets.DIR)).isDirectory();

    // a file named like an archive with no manifest beside it is the user's, like any other
    Path mine = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(mine.resolve(held.name()), "my own tarball");
    repo.restoreToDirectory(b.ref(), mine, true, null);
    assertThat(Fixtures.describe(mine)).containsOnlyKeys("new.txt");
  }

  @Test
  void anInterruptedRestoreOfArchivesIsEmptiedAndOnlyACleanOneOverThemRefused() throws Exception {
    // an archive of a folder holding archives (a home with an old drive's copy in it)
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("a.txt"), "a");
    new Repository(home.resolve("old-drive"))
        .writeFromDirectory("lifeboat", "x", home, List.of(), List.of(), null);
    ArchiveRef ref =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), null).ref();
    Path target = tmp.resolve("restored");
    repo.restoreToDirectory(ref, target, false, null);
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(home));
    // what the restore wrote, archives included, is emptied when it was cut short
    interrupted(target, "half.bin");
    assertThat(repo.restoreToDirectory(ref, target, false, null).emptiedInterrupted()).isTrue();
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(home));
    // once complete, the archives there are the user's
    assertThatThrownBy(() -> repo.restoreToDirectory(ref, target, true, null))
        .hasMessageContaining("restore target " + target + " holds Lifeboat archives");
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(home));
  }

  @Test
  void theMarkerStandsWhileRestoringAndAnInterruptedRestoreIsEmptiedOnTheNextRun()
      throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path target = tmp.resolve("target");
    List<String> markers = new ArrayList<>();
    repo.restoreToDirectory(
        b.ref(),
        target,
        false,
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {
            markers.add(String.join(",", markersIn(target)));
          }
        });
    // progress after the file was written saw the marker; the last report comes after it was
    // removed
    assertThat(markers.get(0)).matches("\\.lifeboat-restore-incomplete-[0-9a-f]{32}");
    assertThat(markers.get(markers.size() - 1)).isEmpty();
    assertThat(record(target)).doesNotExist();

    // what a kill -9 leaves: the recorded marker and a half-written file
    interrupted(target, "half.bin");
    RestoreResult again = repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(again.emptiedInterrupted()).isTrue();
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("new.txt");
    }
    assertThat(record(target)).doesNotExist();
    assertThat(
            repo.restoreToDirectory(b.ref(), tmp.resolve("fresh"), false, ProgressListener.NONE)
                .emptiedInterrupted())
        .isFalse();
  }

  @Test
  void aTruncatedArchiveIsRefusedSayingItEndsEarly() throws Exception {
    BackupResult b = backupOf("big.bin", noise(300_000));
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            b.ref().path(), java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(150_000);
    }
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("big.bin")
        .hasMessageContaining("the data ends early (the archive is truncated)")
        .hasMessageNotContaining("null");
    assertThat(target).as("the folder the restore made is gone").doesNotExist();
  }

  @Test
  void aFileNamedLikeTheMarkerIsTheUsersNotAnInterruptedRestore() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("precious.txt"), "keep me");
    // the old marker's name, and one shaped like a marker this repository never recorded
    Files.writeString(target.resolve(".lifeboat-restore-incomplete"), "mine");
    Files.writeString(target.resolve(Restorer.MARKER + "0".repeat(32)), "mine too");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("is not empty; pass clean: true");
    assertThat(Files.readString(target.resolve("precious.txt"))).isEqualTo("keep me");

    // a recorded token whose marker is not in the folder does not make it an interrupted restore
    Files.createDirectories(record(target).getParent());
    Files.writeString(record(target), "1".repeat(32) + "\n");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .hasMessageContaining("is not empty");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrder(
              "precious.txt", ".lifeboat-restore-incomplete", Restorer.MARKER + "0".repeat(32));
    }
  }

  @Test
  void anArchivedFileNamedLikeTheMarkerIsRestored() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve(".lifeboat-restore-incomplete"), "user data");
    Files.writeString(src.resolve(Restorer.MARKER + "a".repeat(32)), "more user data");
    BackupResult b = backupOf("new.txt", "new");
    assertThat(b.files()).isEqualTo(3);
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(target.resolve(".lifeboat-restore-incomplete")).hasContent("user data");
    assertThat(target.resolve(Restorer.MARKER + "a".repeat(32))).hasContent("more user data");
    assertThat(Fixtures.describe(target)).isEqualTo(Fixtures.describe(src));
  }

  @Test
  void anInterruptedRestoreIsNotEmptiedForADamagedArchive() throws Exception {
    BackupResult b = backupOf("new.txt", noise(4000));
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    interrupted(target, "half.bin");
    Fixtures.damageMember(b.ref().path(), repo.manifest(b.ref()).entries().get(0));
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("new.txt");
    assertThat(target.resolve("half.bin")).hasContent("half");
    assertThat(target.resolve("new.txt")).exists();
  }

  /**
   * A target whose path leads into the repository through symbolic links is the repository's,
   * however it is spelt: below a link to a set folder (a folder made or not yet, a link relative or
   * through another link), the target a link itself, a relative target, and the repository given
   * through a link. Refused clean or not, and by the drill's check, before anything is written,
   * naming the target, the repository and where the target leads.
   */
  @Test
  void aTargetLeadingIntoTheRepositoryThroughLinksIsRefusedCleanOrNot() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path set = repo.root().resolve("local").toRealPath();
    Path link = Files.createSymbolicLink(out.resolve("link"), set);
    Path relative = Files.createSymbolicLink(out.resolve("relative"), Path.of("../repo/local"));
    Path chain = Files.createSymbolicLink(out.resolve("chain"), link);
    // each target, and where it leads
    Map<Path, Path> refused = new LinkedHashMap<>();
    refused.put(link.resolve("newdir"), set.resolve("newdir"));
    refused.put(link.resolve("a/b"), set.resolve("a/b"));
    refused.put(link.resolve("src"), set.resolve("src"));
    refused.put(link, set);
    refused.put(relative.resolve("newdir"), set.resolve("newdir"));
    refused.put(chain.resolve("newdir"), set.resolve("newdir"));
    Map<String, String> before = Fixtures.describe(repo.root());
    Repository throughLink =
        new Repository(Files.createSymbolicLink(tmp.resolve("alias"), repo.root()));
    for (Repository r : List.of(repo, throughLink)) {
      for (Map.Entry<Path, Path> e : refused.entrySet()) {
        String says =
            "restore target "
                + e.getKey()
                + " is inside the backup repository "
                + r.root()
                + " (through symbolic links, "
                + e.getValue()
                + "), where a restore would write among the archives";
        for (boolean clean : new boolean[] {false, true}) {
          assertThatThrownBy(() -> r.restoreToDirectory(b.ref(), e.getKey(), clean, null))
              .as(e.getKey() + (clean ? " clean" : ""))
              .isInstanceOf(ActionException.class)
              .hasMessageContaining(says);
        }
        assertThatThrownBy(() -> r.checkRestoreTarget(e.getKey()))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining(says);
      }
      // relative: made absolute against the working directory, as the file system would
      Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
      Path rel = cwd.relativize(link.resolve("relnew"));
      assertThat(rel.isAbsolute()).isFalse();
      assertThatThrownBy(() -> r.restoreToDirectory(b.ref(), rel, false, null))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(
              "restore target "
                  + link.resolve("relnew")
                  + " is inside the backup repository "
                  + r.root());
    }
    assertThat(Fixtures.describe(repo.root())).isEqualTo(before);
    // a '..' after a link is read as written, there and everywhere the restore writes
    Path beside = Path.of(link + "/../restored");
    assertThat(repo.restoreToDirectory(b.ref(), beside, false, null).target())
        .isEqualTo(out.resolve("restored"));
    assertThat(out.resolve("restored/new.txt")).hasContent("new");
    assertThat(Fixtures.describe(repo.root()).keySet())
        .allMatch(p -> p.startsWith(RestoreTargets.DIR) || before.containsKey(p));
  }

  /**
   * A link to a folder of the repository that is not made yet was not followed: a target below it
   * passed the checks (the drill's too), and its restore failed on the link with a bare
   * FileAlreadyExistsException, or, once that folder was made between the check and the first write
   * (a backup making its source folder; here while the restore waits for its lock), wrote into the
   * repository. Such a link now leads where it points, made or not.
   */
  @Test
  void aTargetBelowALinkToARepositoryFolderNotMadeYetIsRefused() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path out = Files.createDirectories(tmp.resolve("out"));
    Path later = repo.root().toRealPath().resolve("local/later");
    Path link = Files.createSymbolicLink(out.resolve("link"), later);
    ProgressListener makesTheFolder =
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

          @Override
          public void checkCancelled() {
            try {
              Files.createDirectories(later);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
    assertThatThrownBy(
            () -> repo.restoreToDirectory(b.ref(), link.resolve("new"), false, makesTheFolder))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target "
                + link.resolve("new")
                + " is inside the backup repository "
                + repo.root()
                + " (through symbolic links, "
                + later.resolve("new")
                + ")");
    assertThat(later).doesNotExist();

    Path relative =
        Files.createSymbolicLink(out.resolve("relative"), Path.of("../repo/local/later"));
    Path chain = Files.createSymbolicLink(out.resolve("chain"), link);
    Map<Path, Path> refused = new LinkedHashMap<>();
    refused.put(link.resolve("new"), later.resolve("new"));
    refused.put(relative.resolve("new"), later.resolve("new"));
    refused.put(chain.resolve("new/deeper"), later.resolve("new/deeper"));
    refused.put(link, later);
    for (Map.Entry<Path, Path> e : refused.entrySet()) {
      String says =
          "restore target "
              + e.getKey()
              + " is inside the backup repository "
              + repo.root()
              + " (through symbolic links, "
              + e.getValue()
              + ")";
      for (boolean clean : new boolean[] {false, true}) {
        assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), e.getKey(), clean, null))
            .as(e.getKey() + (clean ? " clean" : ""))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining(says);
      }
      assertThatThrownBy(() -> repo.checkRestoreTarget(e.getKey()))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(says);
    }
    assertThat(later).doesNotExist();
    // an archive root likewise
    Path drive = tmp.resolve("drive");
    Path toDrive = Files.createSymbolicLink(out.resolve("to-drive"), drive.resolve("lifeboat"));
    assertThatThrownBy(
            () ->
                new Repository(repo.root(), List.of(drive))
                    .restoreToDirectory(b.ref(), toDrive.resolve("new"), false, null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target "
                + toDrive.resolve("new")
                + " is inside the archive root "
                + drive
                + " (LIFEBOAT_ARCHIVE_ROOTS) (through symbolic links, "
                + drive.resolve("lifeboat/new")
                + ")");
    assertThat(drive).doesNotExist();
  }

  /**
   * A clean restore verifies the archive before it empties the target (minutes, for a large one),
   * and emptied whatever the target's path led to by then: a folder above it replaced meanwhile by
   * a link into the repository had it delete a source's archives and write among them. So did a
   * swap while a restore waited for its target's lock. The target must still lead where it did when
   * it was checked, before anything is removed and before anything is written.
   */
  @Test
  void aTargetWhosePathIsSwappedForALinkIntoTheRepositoryMeanwhileIsNotTouched() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path set = repo.root().resolve("local").toRealPath();
    Path parent = Files.createDirectories(tmp.resolve("out/parent"));
    Path moved = tmp.resolve("out/moved");
    // named as the source: once swapped, the target is the source's folder of archives
    Path target = Files.createDirectories(parent.resolve("src"));
    Files.writeString(target.resolve("mine.txt"), "the user's");
    Map<String, String> archives = archivesIn(set);
    // the first progress a clean restore reports is its verify's
    ProgressListener swapsInVerify =
        new ProgressListener() {
          boolean swapped;

          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {
            if (!swapped) {
              swapped = true;
              swap(parent, moved, set);
            }
          }
        };
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, swapsInVerify))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target "
                + target
                + " changed while the restore ran: it led to "
                + target
                + " when it was checked, and now leads to "
                + set.resolve("src"))
        .hasMessageContaining("; nothing was removed");
    assertThat(archivesIn(set)).isEqualTo(archives);
    assertThat(moved.resolve("src/mine.txt")).hasContent("the user's");

    // while it waits for its lock: a new folder, not clean
    Files.delete(parent);
    Files.move(moved, parent);
    Path fresh = parent.resolve("fresh");
    ProgressListener swapsInWait =
        new ProgressListener() {
          boolean swapped;

          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

          @Override
          public void checkCancelled() {
            if (!swapped) {
              swapped = true;
              swap(parent, moved, set);
            }
          }
        };
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), fresh, false, swapsInWait))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target " + fresh + " changed while the restore ran: it led to " + fresh)
        .hasMessageContaining("now leads to " + set.resolve("fresh"))
        .hasMessageContaining("; nothing was written");
    assertThat(set.resolve("fresh")).doesNotExist();
    assertThat(archivesIn(set)).isEqualTo(archives);
  }

  /**
   * The folder's tree but for the state records, which the restore's verify rewrites, and the
   * source's lock file, which its lock writes its holder into again (the same text, a new time: the
   * test failed when a second turned between the backup and the verify).
   */
  private static Map<String, String> archivesIn(Path folder) throws IOException {
    Map<String, String> tree = Fixtures.describe(folder);
    tree.keySet().removeIf(p -> p.endsWith(".state.json") || p.endsWith("/.lock"));
    return tree;
  }

  /** Moves {@code folder} to {@code away} and puts a link to {@code to} in its place. */
  private static void swap(Path folder, Path away, Path to) {
    try {
      Files.move(folder, away);
      Files.createSymbolicLink(folder, to);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aTargetThatIsASymlinkIsRestoredIntoTheFolderItNames() throws Exception {
    Files.setPosixFilePermissions(
        Files.createDirectories(tmp.resolve("src")),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    BackupResult b = backupOf("new.txt", "new");
    Path real = Files.createDirectories(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    RestoreResult r = repo.restoreToDirectory(b.ref(), link, false, ProgressListener.NONE);
    assertThat(r.target()).isEqualTo(real.toRealPath());
    assertThat(real.resolve("new.txt")).hasContent("new");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    // the folder itself got the source folder's mode, through the link
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(real)))
        .isEqualTo("rwx------");

    Path dangling = Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nowhere"));
    assertThatThrownBy(
            () -> repo.restoreToDirectory(b.ref(), dangling, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("is a symbolic link to nothing");
    assertThat(tmp.resolve("nowhere")).doesNotExist();
  }

  /** What a kill -9 in the middle of a restore into {@code target} leaves. */
  private void interrupted(Path target, String halfWritten) throws IOException {
    String token = "5".repeat(32);
    Files.createDirectories(record(target).getParent());
    Files.writeString(record(target), token + "\n");
    Files.writeString(target.resolve(Restorer.MARKER + token), "");
    Files.writeString(target.resolve(halfWritten), "half");
  }

  private Path record(Path target) {
    return repo.restoreTargetDir(Restorer.realish(target)).resolve(Restorer.RECORD);
  }

  private static List<String> markersIn(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(Restorer.MARKER))
          .toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] noise(int n) {
    byte[] b = new byte[n];
    new java.util.Random(n).nextBytes(b);
    return b;
  }

  @Test
  void twoRestoresOfDifferentSourcesIntoOneFolderDoNotMix() throws Exception {
    // before, both found the folder empty, wrote into it side by side and both succeeded
    Path a = Files.createDirectories(tmp.resolve("a"));
    Files.writeString(a.resolve("from-a.txt"), "a");
    Path c = Files.createDirectories(tmp.resolve("c"));
    Files.writeString(c.resolve("from-c.txt"), "c");
    BackupResult fromA =
        repo.writeFromDirectory("local", "a", a, List.of(), List.of(), ProgressListener.NONE);
    BackupResult fromC =
        repo.writeFromDirectory("local", "c", c, List.of(), List.of(), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    java.util.concurrent.CountDownLatch firstWriting = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch secondWaits = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean waited =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<RestoreResult> first =
          pool.submit(
              () ->
                  repo.restoreToDirectory(
                      fromA.ref(),
                      target,
                      false,
                      (done, total, files) -> {
                        firstWriting.countDown();
                        try {
                          // hold the folder until the second restore says it waits for it
                          waited.compareAndSet(
                              false, secondWaits.await(30, java.util.concurrent.TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }));
      assertThat(firstWriting.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      java.util.concurrent.Future<RestoreResult> second =
          pool.submit(
              () ->
                  repo.restoreToDirectory(
                      fromC.ref(),
                      target,
                      false,
                      new ProgressListener() {
                        @Override
                        public void progress(long bytesDone, long bytesTotal, long filesDone) {}

                        @Override
                        public void message(String text) {
                          if (text.startsWith("waiting for the restore target " + target)) {
                            secondWaits.countDown();
                          }
                        }
                      }));
      assertThat(first.get(60, java.util.concurrent.TimeUnit.SECONDS).files()).isEqualTo(1);
      assertThat(waited).isTrue();
      assertThatThrownBy(() -> second.get(60, java.util.concurrent.TimeUnit.SECONDS))
          .hasCauseInstanceOf(ActionException.class)
          .hasMessageContaining("restore target " + target + " is not empty");
    } finally {
      pool.shutdownNow();
    }
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("from-a.txt");
    }
  }

  @Test
  void restoresIntoAFolderAndOneInsideItTakeTurnsEitherWayRound() throws Exception {
    // before, a clean restore of rest8 and one of rest8/small 0.3 s later both succeeded, and the
    // second's files were gone: the first's clean removed them
    Path big = Files.createDirectories(tmp.resolve("big"));
    for (String name : List.of("b1.txt", "b2.txt", "b3.txt")) {
      Files.writeString(big.resolve(name), name);
    }
    Path other = Files.createDirectories(tmp.resolve("other"));
    Files.writeString(other.resolve("o1.txt"), "o1");
    Files.writeString(other.resolve("o2.txt"), "o2");
    ArchiveRef fromBig =
        repo.writeFromDirectory("local", "big", big, List.of(), List.of(), null).ref();
    ArchiveRef fromOther =
        repo.writeFromDirectory("local", "other", other, List.of(), List.of(), null).ref();
    Path rest8 = Files.createDirectories(tmp.resolve("rest8"));
    Path small = rest8.resolve("small");

    // the folder first (held while it verifies, before its clean), then the one inside it
    Files.writeString(rest8.resolve("old.txt"), "old");
    String outerFirst =
        "waiting for the restore target " + rest8 + ", which holds " + small + ": held by run";
    boolean waited = inTurn(fromBig, rest8, fromOther, small, outerFirst);
    assertThat(Fixtures.describe(rest8))
        .containsOnlyKeys("b1.txt", "b2.txt", "b3.txt", "small", "small/o1.txt", "small/o2.txt");
    assertThat(waited).as("the second restore waited, saying: " + outerFirst).isTrue();

    // the folder inside first, then the one holding it, which replaces it
    Files.writeString(rest8.resolve("old.txt"), "old");
    Files.delete(small.resolve("o1.txt"));
    Files.delete(small.resolve("o2.txt"));
    Files.delete(small);
    String innerFirst =
        "waiting for the restore target " + small + ", inside " + rest8 + ": held by run";
    waited = inTurn(fromOther, small, fromBig, rest8, innerFirst);
    assertThat(Fixtures.describe(rest8)).containsOnlyKeys("b1.txt", "b2.txt", "b3.txt");
    assertThat(waited).as("the second restore waited, saying: " + innerFirst).isTrue();
  }

  /**
   * Restores {@code first}, held at its first progress until the restore of {@code second} says
   * {@code waiting}; both must succeed. Whether the second waited.
   */
  private boolean inTurn(
      ArchiveRef first, Path firstTarget, ArchiveRef second, Path secondTarget, String waiting)
      throws Exception {
    java.util.concurrent.CountDownLatch firstRuns = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch secondWaits = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean waited =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<RestoreResult> one =
          pool.submit(
              () ->
                  repo.restoreToDirectory(
                      first,
                      firstTarget,
                      true,
                      (done, total, files) -> {
                        if (firstRuns.getCount() == 0) {
                          return;
                        }
                        firstRuns.countDown();
                        try {
                          waited.set(secondWaits.await(10, java.util.concurrent.TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }));
      assertThat(firstRuns.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      java.util.concurrent.Future<RestoreResult> two =
          pool.submit(
              () ->
                  repo.restoreToDirectory(
                      second,
                      secondTarget,
                      true,
                      new ProgressListener() {
                        @Override
                        public void progress(long bytesDone, long bytesTotal, long filesDone) {}

                        @Override
                        public void message(String text) {
                          if (text.startsWith(waiting)) {
                            secondWaits.countDown();
                          }
                        }
                      }));
      one.get(60, java.util.concurrent.TimeUnit.SECONDS);
      two.get(60, java.util.concurrent.TimeUnit.SECONDS);
      return waited.get();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void notEnoughFreeSpaceIsRefusedBeforeWritingNamingTheTargetAndTheBytes() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Manifest m = repo.manifest(b.ref());
    Manifest.Totals t = m.totals();
    // a manifest whose one file is far larger than any disk, its totals the sum, as a real one's;
    // the space check comes before any byte is read
    long huge = Long.MAX_VALUE - 10;
    Manifest.Entry e = m.entries().get(0);
    Manifest bigger =
        m.with(
            List.of(
                new Manifest.Entry(
                    e.path(),
                    e.type(),
                    e.mode(),
                    e.mtime(),
                    huge,
                    e.sha256(),
                    e.linkTarget(),
                    e.tarOffset(),
                    e.memberOffset(),
                    e.memberLength(),
                    e.ctime(),
                    e.inode(),
                    e.memberCrc32c())),
            new Manifest.Totals(
                t.entries(),
                t.files(),
                huge,
                t.tarBytes(),
                t.compressedBytes(),
                t.endMemberOffset()),
            m.archiveSha256(),
            m.root());
    Files.write(b.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(bigger));
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(target.toString())
        .hasMessageMatching(
            "(?s).*needs \\d+ bytes \\(\\d+ of files and \\d+ for folders, metadata and"
                + " headroom\\), \\d+ free.*nothing was changed");
    assertThat(target).doesNotExist();
  }

  @Test
  void aCraftedFolderModeIsRefusedBeforeAnythingIsWritten() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Manifest m = repo.manifest(b.ref());
    for (String mode : new String[] {"99999", "0x1ff", "", "-1"}) {
      Manifest crafted =
          new Manifest(
              m.formatVersion(),
              m.set(),
              m.source(),
              m.archive(),
              m.created(),
              m.compression(),
              m.entries(),
              m.totals(),
              m.archiveSha256(),
              new Manifest.Root(mode, m.created(), 0, 0, null, null));
      Files.write(b.ref().manifestPath(), Json.MAPPER.writeValueAsBytes(crafted));
      Path target = tmp.resolve("target");
      assertThatThrownBy(
              () -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("nothing was written")
          .hasMessageContaining("the folder's mode '" + mode + "' is not octal permission bits");
      assertThat(target).doesNotExist();
    }
  }

  private BackupResult backupOf(String name, String content) throws IOException {
    return backupOf(name, content.getBytes(StandardCharsets.UTF_8));
  }

  private BackupResult backupOf(String name, byte[] content) throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve(name), content);
    return repo.writeFromDirectory(
        "local", "src", src, List.of(), List.of(), ProgressListener.NONE);
  }

  /** A tar with a harmless file first and then the crafted entry. */
  static byte[] tar(String kind, String name, String link) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      put(out, "ok.txt", TarConstants.LF_NORMAL, null, "harmless");
      switch (kind) {
        case "FILE" -> put(out, name, TarConstants.LF_NORMAL, null, "escaped");
        case "SYMLINK" -> put(out, name, TarConstants.LF_SYMLINK, link, null);
        default -> put(out, name, TarConstants.LF_LINK, link, null);
      }
    }
    return bytes.toByteArray();
  }

  static void put(TarArchiveOutputStream out, String name, byte flag, String link, String content)
      throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    byte[] data = content == null ? new byte[0] : content.getBytes(StandardCharsets.UTF_8);
    e.setSize(data.length);
    e.setMode(flag == TarConstants.LF_DIR ? 0755 : 0644);
    if (link != null) {
      e.setLinkName(link);
    }
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
  }
}
