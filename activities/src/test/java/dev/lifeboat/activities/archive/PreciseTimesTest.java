package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Times to the nanosecond through the restore's open directory, never through a path that leads
 * elsewhere now.
 */
class PreciseTimesTest {
  private static final Instant T = Instant.parse("2023-04-05T22:13:27.663848692Z");

  @TempDir Path tmp;

  @BeforeEach
  void available() {
    Assumptions.assumeTrue(PreciseTimes.AVAILABLE, "utimensat through libc");
  }

  private static Instant mtime(Path p) throws Exception {
    return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant();
  }

  @SuppressWarnings("unchecked")
  private static SecureDirectoryStream<Path> open(Path dir) throws Exception {
    return (SecureDirectoryStream<Path>) Files.newDirectoryStream(dir);
  }

  @Test
  void aFileAFolderAndALinkItselfGetTheNanoseconds() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("t/d"));
    Files.writeString(dir.resolve("f"), "x");
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link"), Path.of("f"));
    try (SecureDirectoryStream<Path> d = open(dir);
        PreciseTimes times = new PreciseTimes()) {
      for (String name : List.of("f", "sub", "link")) {
        assertThat(times.set(d, tmp.resolve("t"), List.of("d"), name, T.plusSeconds(name.length())))
            .as(name)
            .isTrue();
      }
    }
    assertThat(mtime(dir.resolve("f"))).isEqualTo(T.plusSeconds(1));
    assertThat(mtime(dir.resolve("sub"))).isEqualTo(T.plusSeconds(3));
    assertThat(mtime(dir.resolve("link"))).isEqualTo(T.plusSeconds(4));
    // the link's own time: the file it names keeps its own
    assertThat(mtime(dir.resolve("f"))).isNotEqualTo(mtime(dir.resolve("link")));
  }

  /**
   * The open directory's path now leads to another folder (swapped for a link to it): nothing there
   * is touched, and the caller is told to use the open directory's own view.
   */
  @Test
  void aPathThatLeadsToAnotherFolderNowIsNotUsed() throws Exception {
    Path restored = Files.createDirectories(tmp.resolve("restored"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.writeString(restored.resolve("f"), "ours");
    Files.writeString(elsewhere.resolve("f"), "someone else's");
    FileTime before = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
    Files.setLastModifiedTime(elsewhere.resolve("f"), before);
    try (SecureDirectoryStream<Path> d = open(restored);
        PreciseTimes times = new PreciseTimes()) {
      Path moved = tmp.resolve("moved");
      Files.move(restored, moved);
      Files.createSymbolicLink(restored, elsewhere);
      assertThat(times.set(d, tmp, List.of("restored"), "f", T)).isFalse();
      assertThat(times.set(d, tmp, List.of("restored"), "f", T)).isFalse();
      assertThat(Files.getLastModifiedTime(elsewhere.resolve("f"))).isEqualTo(before);
      assertThat(mtime(moved.resolve("f"))).isNotEqualTo(T);
    }
  }
}
