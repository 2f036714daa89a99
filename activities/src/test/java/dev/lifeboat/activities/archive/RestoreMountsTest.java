package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean restore never empties another file system mounted inside its target: before, a tmpfs at
 * {@code <target>/mnt} lost its files, then the restore failed on the mount point ("Device or
 * resource busy") with nothing restored.
 */
class RestoreMountsTest {
  @TempDir Path tmp;
  Repository repo;
  ArchiveRef ref;
  Path target;
  final TestMounts mounts = new TestMounts();

  @BeforeEach
  void setUp() throws IOException {
    repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("new.txt"), "new");
    ref = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null).ref();
    target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("keep.txt"), "keep");
  }

  @AfterEach
  void unmount() throws Exception {
    mounts.close();
  }

  private void mount(String... args) throws Exception {
    mounts.mount(args);
  }

  @Test
  void anEntryOnAnotherDeviceIsRefusedBeforeAnythingIsRemoved() throws Exception {
    Path mnt = Files.createDirectories(target.resolve("a/mnt"));
    Files.writeString(mnt.resolve("theirs.txt"), "theirs");
    Mounts devices =
        new Mounts(tmp.resolve("no-mountinfo")) {
          @Override
          Object device(Path p) throws IOException {
            return p.equals(mnt) ? "another disk" : super.device(p);
          }
        };
    assertThatThrownBy(() -> new Restorer(repo, ref, null, devices).restore(target, true))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target " + target + " has another file system mounted inside it (" + mnt + ")")
        .hasMessageContaining("unmount it or restore into another folder; nothing was removed");
    assertThat(target.resolve("keep.txt")).hasContent("keep");
    assertThat(mnt.resolve("theirs.txt")).hasContent("theirs");
  }

  @Test
  void aMountPointTheKernelListsIsRefusedThoughOnTheSameDevice() throws Exception {
    // a bind mount keeps its device: only the mount table tells
    Path bound = Files.createDirectories(target.resolve("my drive"));
    Files.writeString(bound.resolve("theirs.txt"), "theirs");
    Path real = target.toRealPath();
    Path table = tmp.resolve("mountinfo");
    Files.writeString(
        table,
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            + "40 22 8:1 /elsewhere "
            + real.resolve("my drive").toString().replace(" ", "\\040")
            + " rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            + "41 22 0:5 / "
            + real
            + " rw - tmpfs tmpfs rw\n",
        StandardCharsets.UTF_8);
    assertThatThrownBy(() -> new Restorer(repo, ref, null, new Mounts(table)).restore(target, true))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "has another file system mounted inside it (" + real.resolve("my drive") + ")");
    assertThat(target.resolve("keep.txt")).hasContent("keep");
    assertThat(bound.resolve("theirs.txt")).hasContent("theirs");
    // the target itself being a mount point is no reason to refuse
    Files.writeString(table, "41 22 0:5 / " + real + " rw - tmpfs tmpfs rw\n");
    assertThat(new Restorer(repo, ref, null, new Mounts(table)).restore(target, true).files())
        .isEqualTo(1);
    assertThat(target.resolve("new.txt")).hasContent("new");
    assertThat(target.resolve("keep.txt")).doesNotExist();
  }

  @Test
  void aRealFileSystemMountedInsideTheTargetKeepsItsFilesAndTheTargetItsOwn() throws Exception {
    Path mnt = Files.createDirectories(target.resolve("mnt"));
    mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
    Files.writeString(mnt.resolve("theirs.txt"), "theirs");
    assertThatThrownBy(() -> repo.restoreToDirectory(ref, target, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("has another file system mounted inside it (")
        .hasMessageContaining("mnt)");
    assertThat(target.resolve("keep.txt")).hasContent("keep");
    assertThat(mnt.resolve("theirs.txt")).hasContent("theirs");
    // emptying a folder never enters the mount either, whoever asks
    assertThatThrownBy(() -> Tree.emptyDirectory(target))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is another file system mounted inside");
    assertThat(mnt.resolve("theirs.txt")).hasContent("theirs");
  }

  /**
   * The repository mounted again elsewhere (a bind mount: the same folder, another path) was a
   * target like any other, as no comparison of paths sees it: a restore below the mount wrote among
   * the archives, and the drill's check let a scratch there pass. Now a folder is known by its
   * device and inode too: a target in such a mount, the mount itself, and a mount of a folder
   * holding the repository are refused, clean or not, naming both paths.
   */
  @Test
  void theRepositoryMountedAgainElsewhereIsStillTheRepository() throws Exception {
    Path real = repo.root().toRealPath();
    Path alias = Files.createDirectories(tmp.resolve("alias"));
    mount("--bind", real.toString(), alias.toString());
    Path holding = Files.createDirectories(tmp.resolve("holding"));
    mount("--bind", tmp.toRealPath().toString(), holding.toString());
    Map<String, String> before = Fixtures.describe(real);
    Map<Path, String> refused = new LinkedHashMap<>();
    String again = " (" + alias + " is " + real + ", mounted again), where a restore would write";
    refused.put(
        alias.resolve("local/new"), "is inside the backup repository " + repo.root() + again);
    refused.put(
        alias.resolve("local/src"), "is inside the backup repository " + repo.root() + again);
    refused.put(alias, "is the backup repository " + repo.root() + again);
    refused.put(
        holding,
        "holds the backup repository "
            + repo.root()
            + " ("
            + holding
            + " is "
            + tmp.toRealPath()
            + ", mounted again); restore into a folder that does not contain it");
    for (Map.Entry<Path, String> r : refused.entrySet()) {
      for (boolean clean : new boolean[] {false, true}) {
        assertThatThrownBy(() -> repo.restoreToDirectory(ref, r.getKey(), clean, null))
            .as(r.getKey() + (clean ? " clean" : ""))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining("restore target " + r.getKey() + " " + r.getValue());
      }
      assertThatThrownBy(() -> repo.checkRestoreTarget(r.getKey()))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("restore target " + r.getKey() + " " + r.getValue());
    }
    assertThat(Fixtures.describe(real)).isEqualTo(before);
    // an archive root likewise
    Path drive = Files.createDirectories(tmp.resolve("drive"));
    Path driveAgain = Files.createDirectories(tmp.resolve("drive-again"));
    mount("--bind", drive.toRealPath().toString(), driveAgain.toString());
    assertThatThrownBy(
            () ->
                new Repository(repo.root(), List.of(drive))
                    .restoreToDirectory(ref, driveAgain.resolve("new"), false, null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(
            "restore target "
                + driveAgain.resolve("new")
                + " is inside the archive root "
                + drive
                + " (LIFEBOAT_ARCHIVE_ROOTS) ("
                + driveAgain
                + " is "
                + drive.toRealPath()
                + ", mounted again)");
    assertThat(drive.resolve("new")).doesNotExist();
  }

  /**
   * A folder of the repository (a set's, a source's) mounted elsewhere was a target like any other:
   * only the repository's own folder was looked for by device and inode. A target in such a mount,
   * or the mount itself, is refused, naming where it is mounted from.
   */
  @Test
  void aFolderOfTheRepositoryMountedElsewhereIsStillInsideIt() throws Exception {
    Path real = repo.root().toRealPath();
    Path alias = Files.createDirectories(tmp.resolve("alias"));
    mount("--bind", real.resolve("local").toString(), alias.toString());
    Path sourceAlias = Files.createDirectories(tmp.resolve("source-alias"));
    mount("--bind", real.resolve("local/src").toString(), sourceAlias.toString());
    Map<String, String> before = Fixtures.describe(real);
    Map<Path, Path> refused = new LinkedHashMap<>();
    refused.put(alias, real.resolve("local"));
    refused.put(alias.resolve("new"), real.resolve("local"));
    refused.put(alias.resolve("src"), real.resolve("local"));
    refused.put(sourceAlias, real.resolve("local/src"));
    for (Map.Entry<Path, Path> r : refused.entrySet()) {
      Path mountPoint = r.getKey().startsWith(alias) ? alias : sourceAlias;
      String expected =
          "restore target "
              + r.getKey()
              + " is inside the backup repository "
              + repo.root()
              + " ("
              + mountPoint
              + " is "
              + r.getValue()
              + ", mounted again), where a restore would write";
      for (boolean clean : new boolean[] {false, true}) {
        assertThatThrownBy(() -> repo.restoreToDirectory(ref, r.getKey(), clean, null))
            .as(r.getKey() + (clean ? " clean" : ""))
            .isInstanceOf(ActionException.class)
            .hasMessageContaining(expected);
      }
    }
    assertThat(Fixtures.describe(real)).isEqualTo(before);
  }
}
