package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An archive written before small files were packed (manifest format 2, every entry its own
 * members; the file under test resources was written by that release) still verifies, restores and
 * gives single files, and the next backup of its source writes the current format beside it.
 */
class OlderArchiveFormatsTest {
  private static final String STEM = "20261130T001736Z";

  @TempDir Path tmp;
  Repository repo;
  ArchiveRef ref;

  @BeforeEach
  void copyFixture() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("repo/fx/home"));
    for (String suffix : List.of(".tar.gz", ".manifest.json", ".state.json")) {
      try (var in = getClass().getResourceAsStream("/archives/format2/" + STEM + suffix)) {
        Files.copy(in, home.resolve(STEM + suffix));
      }
    }
    repo = new Repository(tmp.resolve("repo"));
    ref = repo.resolve("fx", "home", STEM);
  }

  @Test
  void aFormatTwoArchiveVerifiesRestoresAndGivesEachFile() throws Exception {
    Manifest m = repo.manifest(ref);
    assertThat(m.formatVersion()).isEqualTo(2);
    assertThat(repo.verify(ref, ProgressListener.NONE).files()).isEqualTo(13);

    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(ref, restored, false, ProgressListener.NONE);
    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "xpzf", ref.path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(gnu)).hasSize(17);
    // its manifest holds whole seconds, and they are what the restore gives
    for (Manifest.Entry e : m.entries()) {
      assertThat(e.mtime().getNano()).as(e.path()).isZero();
      assertThat(
              Files.getLastModifiedTime(
                      restored.resolve(e.path()), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                  .toInstant())
          .as(e.path())
          .isEqualTo(e.mtime());
    }

    for (int i = 0; i < 12; i++) {
      String path = String.format("notes/n%02d.txt", i);
      ByteArrayOutputStream one = new ByteArrayOutputStream();
      repo.readFile(ref, path, one);
      assertThat(one.toByteArray()).as(path).isEqualTo(Files.readAllBytes(gnu.resolve(path)));
    }
  }

  @Test
  void theNextBackupOfTheSourceWritesTheCurrentFormatWithPacks() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("notes"));
    for (int i = 0; i < 12; i++) {
      Files.writeString(
          src.resolve(String.format("notes/n%02d.txt", i)),
          ("note " + i + "\n").repeat((i + 1) * 50));
    }
    BackupResult b =
        repo.writeFromDirectory("fx", "home", src, List.of(), List.of(), ProgressListener.NONE);
    // the old archive is the newest verified one; its files are not these (other inodes)
    assertThat(b.reusedFiles()).isZero();
    Manifest m = repo.manifest(b.ref());
    assertThat(m.formatVersion()).isEqualTo(Manifest.FORMAT_VERSION);
    assertThat(Fixtures.packOf(m, "notes/n00.txt")).hasSizeGreaterThan(1);
    assertThat(repo.verify(b.ref(), ProgressListener.NONE).files()).isEqualTo(12);
    assertThat(repo.verify(ref, ProgressListener.NONE).files()).isEqualTo(13);
  }
}
