package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code archive} given as an absolute path: only inside the repository or a configured archive
 * root.
 */
class ArchiveRootsTest {
  @TempDir Path tmp;
  Path src;
  Path drive;
  Repository repo;

  @BeforeEach
  void setUp() throws Exception {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
    drive = tmp.resolve("drive");
    repo =
        new Repository(
            tmp.resolve("repo"),
            Clock.systemUTC(),
            GzipMembers.Settings.defaults(),
            List.of(drive));
  }

  @Test
  void archivesInTheRepositoryOrAnArchiveRootResolveAndOthersAreRefused() throws Exception {
    BackupResult inRepo = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(repo.resolve(null, null, inRepo.ref().path().toString()).name())
        .isEqualTo(inRepo.ref().name());

    BackupResult onDrive =
        new Repository(drive)
            .writeFromDirectory("tier2", "shared", src, List.of(), List.of(), null);
    ArchiveRef ref = repo.resolve(null, null, onDrive.ref().path().toString());
    assertThat(ref.set()).isEqualTo("tier2");
    assertThat(ref.source()).isEqualTo("shared");
    repo.verify(ref, null);

    BackupResult elsewhere =
        new Repository(tmp.resolve("elsewhere"))
            .writeFromDirectory("x", "y", src, List.of(), List.of(), null);
    assertThatThrownBy(() -> repo.resolve(null, null, elsewhere.ref().path().toString()))
        .isInstanceOf(ActionException.class)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"))
        .hasMessageContaining(elsewhere.ref().path().toString())
        .hasMessageContaining(tmp.resolve("repo").toString())
        .hasMessageContaining(drive.toString())
        .hasMessageContaining("LIFEBOAT_ARCHIVE_ROOTS");

    // a link inside the repository does not let a path escape it
    Path link = tmp.resolve("repo/local/src/20200101T000000Z.tar.gz");
    Files.createSymbolicLink(link, elsewhere.ref().path());
    assertThatThrownBy(() -> repo.resolve(null, null, link.toString()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("really " + elsewhere.ref().path().toRealPath());
    assertThatThrownBy(
            () -> new Repository(tmp.resolve("repo")).resolve(null, null, "/etc/hostname"))
        .hasMessageContaining("no archive roots are configured");
  }

  @Test
  void theRootsComeFromAColonSeparatedList() {
    assertThat(Repository.archiveRoots("/mnt/backup:/media/usb::"))
        .containsExactly(Path.of("/mnt/backup"), Path.of("/media/usb"));
    assertThat(Repository.archiveRoots("")).isEmpty();
    assertThatThrownBy(() -> Repository.archiveRoots("relative/dir"))
        .hasMessageContaining("relative/dir");
  }

  @Test
  void aSourceNamedAfterAUserAtAHostIsBackedUpAndListed() throws Exception {
    BackupResult b = repo.writeFromDirectory("local", "db@host", src, List.of(), List.of(), null);
    assertThat(repo.list("local", "db@host"))
        .singleElement()
        .satisfies(i -> assertThat(i.name()).isEqualTo(b.ref().name()));
    assertThat(Repository.checkName("db@host", "source")).isEqualTo("db@host");
    assertThatThrownBy(() -> Repository.checkName("-rf", "source"))
        .hasMessageContaining("not a usable name");
    assertThatThrownBy(() -> Repository.checkName("latest", "source"))
        .hasMessageContaining("not 'latest'");
  }
}
