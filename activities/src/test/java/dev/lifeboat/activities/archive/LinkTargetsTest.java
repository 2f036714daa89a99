package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Link targets come back as they were written, byte for byte: a trailing slash (what the shell's
 * completion puts after a directory), double slashes, "./" and "../". Java's Path tidies all of
 * these away, so links are read and made through libc; readlink(1) is the judge.
 */
class LinkTargetsTest {
  @TempDir Path tmp;

  private static final List<String[]> LINKS =
      List.of(
          new String[] {"to-dir", "data/"},
          new String[] {"double", "/srv//shared//models/"},
          new String[] {"dotted", "./data/../data/./x"},
          new String[] {"up", "../"},
          new String[] {"plain", "data/x"});

  @Test
  void targetsAreRestoredExactlyByLifeboatAsByGnuTar() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.createDirectories(home.resolve("data"));
    Files.writeString(home.resolve("data/x"), "x");
    for (String[] l : LINKS) {
      Fixtures.Run ln = Fixtures.run(home, "ln", "-s", l[1], l[0]);
      assertThat(ln.exit()).as(ln.err()).isZero();
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    assertThat(b.changed()).isEmpty();
    assertThat(repo.manifest(b.ref()).entries())
        .filteredOn(e -> e.type() == Manifest.EntryType.SYMLINK)
        .extracting(Manifest.Entry::path, Manifest.Entry::linkTarget)
        .containsExactlyInAnyOrder(
            LINKS.stream()
                .map(l -> org.assertj.core.groups.Tuple.tuple(l[0], l[1]))
                .toArray(org.assertj.core.groups.Tuple[]::new));

    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(b.ref(), restored, false, ProgressListener.NONE);
    Path byTar = Files.createDirectories(tmp.resolve("by-tar"));
    Fixtures.Run tar =
        Fixtures.run(byTar, "tar", "xzf", b.ref().path().toString(), "-C", byTar.toString());
    assertThat(tar.exit()).as(tar.err()).isZero();
    for (String[] l : LINKS) {
      assertThat(Fixtures.run(restored, "readlink", l[0]).out()).isEqualTo(l[1] + "\n");
      assertThat(Fixtures.run(byTar, "readlink", l[0]).out()).isEqualTo(l[1] + "\n");
    }
  }
}
