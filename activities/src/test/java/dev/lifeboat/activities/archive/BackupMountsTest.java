package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository reached inside a source by another path than its own (a bind mount of it, of a
 * folder above it, or its file system mounted a second time) is still the repository: before, only
 * its path was compared, so each backup held every archive before it, and a source that was the
 * repository through a mount was backed up into itself. It is now known by its device and inode
 * too.
 */
class BackupMountsTest {
  @TempDir Path tmp;
  Path home;
  final TestMounts mounts = new TestMounts();

  @BeforeEach
  void setUp() throws IOException {
    home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("notes.txt"), "notes\n".repeat(1000));
  }

  @AfterEach
  void unmount() throws Exception {
    mounts.close();
  }

  private void mount(String... args) throws Exception {
    mounts.mount(args);
  }

  private BackupResult backUpHome(Repository repo) throws IOException {
    return repo.writeFromDirectory(
        "local", "home", home, List.of(), List.of(), ProgressListener.NONE);
  }

  /** Two backups of the home folder: the second holds what the first did, no archive of it. */
  private void assertLeftOut(Repository repo, String... mountPoints) throws IOException {
    BackupResult first = backUpHome(repo);
    BackupResult second = backUpHome(repo);
    List<PathNote> notes = new ArrayList<>();
    for (String m : mountPoints) {
      notes.add(new PathNote(m, SourceScan.REPOSITORY_NOTE));
    }
    assertThat(second.skipped()).containsExactlyElementsOf(notes);
    for (String m : mountPoints) {
      assertThat(repo.manifest(second.ref()).entries())
          .extracting(Manifest.Entry::path)
          .noneMatch(p -> p.equals(m) || p.startsWith(m + "/"));
    }
    assertThat(second.files()).isEqualTo(first.files());
    assertThat(second.bytes()).isEqualTo(first.bytes());
    assertThat(second.compressedBytes()).isLessThan(first.compressedBytes() * 3 / 2);
  }

  @Test
  void theRepositoryMountedInsideTheSourceIsLeftOut() throws Exception {
    Path srv = Files.createDirectories(tmp.resolve("srv"));
    Files.writeString(srv.resolve("other.txt"), "other\n");
    Repository repo = new Repository(Files.createDirectories(srv.resolve("lifeboat-data")));
    // mount --bind /srv/lifeboat-data /home/u/mnt/backups, and a folder holding it
    Path backups = Files.createDirectories(home.resolve("mnt/backups"));
    mount("--bind", repo.root().toRealPath().toString(), backups.toString());
    Path srvAgain = Files.createDirectories(home.resolve("srv"));
    mount("--bind", srv.toRealPath().toString(), srvAgain.toString());

    assertLeftOut(repo, "mnt/backups", "srv/lifeboat-data");
    BackupResult last = backUpHome(repo);
    // what lies beside the repository in a mounted folder is still backed up
    assertThat(repo.manifest(last.ref()).entries())
        .extracting(Manifest.Entry::path)
        .containsExactly("mnt", "notes.txt", "srv", "srv/other.txt");
  }

  @Test
  void theRepositorysOwnFileSystemMountedAgainInsideTheSourceIsLeftOut() throws Exception {
    // the repository is a mount point (a disk of its own), and that disk is reached a second time
    Path disk = Files.createDirectories(tmp.resolve("disk"));
    mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.toString());
    Repository repo = new Repository(disk);
    Path backups = Files.createDirectories(home.resolve("mnt/backups"));
    mount("--bind", disk.toRealPath().toString(), backups.toString());

    assertLeftOut(repo, "mnt/backups");
  }

  @Test
  void aSourceThatIsTheRepositoryThroughAMountIsRefused() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    backUpHome(repo);
    Path real = repo.root().toRealPath();
    Path alias = Files.createDirectories(tmp.resolve("alias"));
    mount("--bind", real.toString(), alias.toString());
    assertRefused(
        repo, alias, real, List.of(alias, alias.resolve("local"), alias.resolve("local/home")));
  }

  /**
   * Each of {@code sources} is refused as the repository or inside it, {@code alias} named as
   * {@code mountedFrom} mounted again; nothing in the repository changes.
   */
  private static void assertRefused(
      Repository repo, Path alias, Path mountedFrom, List<Path> sources) throws IOException {
    Path real = repo.root().toRealPath();
    Map<String, String> before = Fixtures.describe(real);
    String again =
        " (" + alias + " is " + mountedFrom + ", mounted again); its archives are copied";
    for (Path source : sources) {
      boolean itself = source.equals(alias) && mountedFrom.equals(real);
      assertThatThrownBy(
              () ->
                  repo.writeFromDirectory(
                      "local", "alias", source, List.of(), List.of(), ProgressListener.NONE))
          .as(source.toString())
          .isInstanceOf(ActionException.class)
          .hasMessageContaining(
              "source "
                  + source
                  + (itself ? " is " : " is inside ")
                  + "the backup repository "
                  + repo.root()
                  + again);
    }
    assertThat(Fixtures.describe(real)).isEqualTo(before);
  }

  /**
   * A folder of the repository (a set's, a source's) mounted inside the source is left out as the
   * repository is: only the repository's own folder was known by device and inode, so each backup
   * held the archives of that set or source before it.
   */
  @Test
  void aFolderOfTheRepositoryMountedInsideTheSourceIsLeftOut() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    backUpHome(repo);
    Path real = repo.root().toRealPath();
    // mount --bind /backups/local /home/u/mnt/sets, and a source's folder
    Path sets = Files.createDirectories(home.resolve("mnt/sets"));
    mount("--bind", real.resolve("local").toString(), sets.toString());
    Path archives = Files.createDirectories(home.resolve("mnt/archives"));
    mount("--bind", real.resolve("local/home").toString(), archives.toString());

    assertLeftOut(repo, "mnt/archives", "mnt/sets");
  }

  @Test
  void aSourceThatIsAFolderOfTheRepositoryThroughAMountIsRefused() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    backUpHome(repo);
    Path real = repo.root().toRealPath();
    Path alias = Files.createDirectories(tmp.resolve("alias"));
    mount("--bind", real.resolve("local").toString(), alias.toString());
    assertRefused(repo, alias, real.resolve("local"), List.of(alias, alias.resolve("home")));
  }
}
