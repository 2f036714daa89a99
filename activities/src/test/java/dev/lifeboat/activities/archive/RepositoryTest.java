package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));
  Repository repo;
  Path src;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "a");
  }

  @Test
  void aSourceThatIsALinkToNothingIsNamedSo() throws Exception {
    Path loopA = tmp.resolve("loopA");
    Files.createSymbolicLink(loopA, tmp.resolve("loopB"));
    Files.createSymbolicLink(tmp.resolve("loopB"), loopA);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "loop", loopA, List.of(), List.of(), null))
        .hasMessageContaining("is a symbolic link that leads to nothing");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                repo.writeFromDirectory(
                    "local", "gone", tmp.resolve("gone"), List.of(), List.of(), null))
        .hasMessageContaining("source directory " + tmp.resolve("gone") + " does not exist");
  }

  @Test
  void anEmptySourceIsAnError() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty/only-dirs"));
    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "e", empty, List.of(), List.of(), null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no regular files")
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("CheckFailed"));
    assertThatThrownBy(
            () ->
                repo.writeFromDirectory(
                    "local", "e", empty.getParent(), List.of(), List.of(), null))
        .hasMessageContaining("no regular files");
    assertThat(tmp.resolve("repo/local/e")).doesNotExist();
    // a tar stream with only a directory: refused after reading it, and its partial file is gone
    java.io.ByteArrayOutputStream onlyDir = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(onlyDir)) {
      RestoreSafetyTest.put(
          out, "d/", org.apache.commons.compress.archivers.tar.TarConstants.LF_DIR, null, null);
    }
    assertThatThrownBy(
            () ->
                repo.writeFromTar(
                    "pods", "e", new java.io.ByteArrayInputStream(onlyDir.toByteArray()), null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no regular files");
    try (var s = Files.list(tmp.resolve("repo/pods/e"))) {
      // only the source's lock file, which stays (see SourceLock)
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .as("no partial left behind")
          .containsExactly(".lock");
    }
    assertThat(repo.list(null, null)).isEmpty();
  }

  @Test
  void aMissingSourceDirectoryIsInvalidAndNamed() {
    Path missing = tmp.resolve("nope");
    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "x", missing, List.of(), List.of(), null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(missing.toString())
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"));
  }

  @Test
  void namesAreUtcTimestampsNeverOverwrittenAndLatestFollows() throws Exception {
    BackupResult first = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    BackupResult second = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThat(first.ref().name()).isEqualTo("20261122T001500Z.tar.gz");
    assertThat(second.ref().name()).isEqualTo("20261122T001501Z.tar.gz");
    Path dir = tmp.resolve("repo/local/src");
    assertThat(Files.readString(dir.resolve("latest")).trim()).isEqualTo(second.ref().name());
    assertThat(repo.resolve("local", "src", null)).isEqualTo(second.ref());
    assertThat(repo.resolve("local", "src", "20261122T001500Z").path())
        .isEqualTo(first.ref().path());
    assertThat(repo.resolve(null, null, first.ref().path().toString()))
        .isEqualTo(new ArchiveRef("local", "src", first.ref().name(), first.ref().path()));
    assertThat(dir.resolve("20261122T001500Z.manifest.json")).exists();
  }

  /**
   * A pointer file left naming an older archive (a crash or a full disk between an archive's rename
   * and the pointer's write, an edit by hand) does not make latest restore it: latest is the newest
   * archive that is not damaged, and a prune puts the pointer right.
   */
  @Test
  void aStaleLatestPointerDoesNotHideTheNewestGoodArchive() throws Exception {
    BackupResult first = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    BackupResult second = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    Path dir = second.ref().path().getParent();
    Files.writeString(dir.resolve("latest"), first.ref().name() + "\n");
    assertThat(repo.resolve("local", "src", null)).isEqualTo(second.ref());
    assertThat(repo.resolve("local", "src", "latest")).isEqualTo(second.ref());
    repo.verify(second.ref(), null);
    repo.prune("local", "src", RetentionPolicy.keepLast(5), false, ProgressListener.NONE);
    assertThat(dir.resolve("latest")).hasContent(second.ref().name() + "\n");
  }

  @Test
  void partialFilesAreNotListedAndNotLatest() throws Exception {
    BackupResult done = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    Path dir = done.ref().path().getParent();
    // what a killed run leaves: a hidden partial archive (and maybe a partial manifest)
    Files.writeString(dir.resolve(".20261122T010000Z.tar.gz.partial"), "half");
    Files.writeString(dir.resolve(".20261122T010000Z.manifest.json.partial"), "{");
    assertThat(repo.list("local", "src"))
        .extracting(ArchiveInfo::name)
        .containsExactly(done.ref().name());
    Files.delete(dir.resolve("latest"));
    assertThat(repo.resolve("local", "src", null).name()).isEqualTo(done.ref().name());
  }

  @Test
  void aCancelledBackupLeavesNothingThatLooksComplete() throws Exception {
    Files.write(src.resolve("big.bin"), new byte[3 << 20]);
    ProgressListener cancelling =
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

          @Override
          public void checkCancelled() {
            throw new CancellationException("stop");
          }
        };
    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "src", src, List.of(), List.of(), cancelling))
        .isInstanceOf(CancellationException.class);
    try (var s = Files.list(tmp.resolve("repo/local/src"))) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void includesAndExcludesAreGlobsRelativeToTheSource() throws Exception {
    Fixtures.write(src.resolve("notebooks/x.ipynb"), "{}", "rw-r--r--");
    Fixtures.write(src.resolve("notebooks/.ipynb_checkpoints/x.ipynb"), "{}", "rw-r--r--");
    Fixtures.write(src.resolve("models/m.bin"), "m", "rw-r--r--");
    BackupResult b =
        repo.writeFromDirectory(
            "local",
            "src",
            src,
            List.of("notebooks", "a.txt"),
            List.of("**/.ipynb_checkpoints"),
            null);
    assertThat(repo.manifest(b.ref()).entries())
        .extracting(Manifest.Entry::path)
        .containsExactly("a.txt", "notebooks", "notebooks/x.ipynb");
  }

  @Test
  void unknownSetSourceOrArchiveIsInvalidAndNamed() throws Exception {
    assertThatThrownBy(() -> repo.resolve("local", "ghost", null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'ghost'");
    repo.writeFromDirectory("local", "src", src, List.of(), List.of(), null);
    assertThatThrownBy(() -> repo.resolve("local", "src", "20200101T000000Z.tar.gz"))
        .hasMessageContaining("20200101T000000Z.tar.gz")
        .hasMessageContaining("'src'");
    assertThatThrownBy(() -> repo.resolve("local", "../etc", null))
        .hasMessageContaining("not a usable name");
    assertThatThrownBy(() -> repo.resolve(null, null, "/no/such/archive.tar.gz"))
        .hasMessageContaining("/no/such/archive.tar.gz");
  }
}
