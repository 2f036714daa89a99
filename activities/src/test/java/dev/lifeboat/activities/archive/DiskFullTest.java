package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup onto a full disk: a failed check naming the path and the bytes, nothing left behind. */
class DiskFullTest {
  @TempDir Path tmp;
  Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString())
          .inheritIO()
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aFullDiskFailsOnceNamingThePathAndLeavesNoPartialFile() throws Exception {
    Path small = Files.createDirectories(tmp.resolve("small"));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(mounted, "cannot mount a 2 MiB tmpfs here (needs root): " + out.strip());
    mount = small;

    Path src = Files.createDirectories(tmp.resolve("src"));
    byte[] noise = new byte[4 << 20]; // random: gzip cannot make it fit
    new Random(7).nextBytes(noise);
    Files.write(src.resolve("weights.bin"), noise);
    Repository repo = new Repository(small.resolve("repo"));

    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "model", src, List.of(), List.of(), null))
        .isInstanceOf(ActionException.class)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("CheckFailed"))
        .hasMessageContaining("no space left on device")
        .hasMessageContaining(small.resolve("repo/local/model").toString())
        .hasMessageContaining("needs " + noise.length + " bytes")
        .hasMessageMatching("(?s).*, \\d+ bytes free.*");
    try (Stream<Path> files = Files.walk(small.resolve("repo"))) {
      assertThat(files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).toList())
          .as("the partial archive is removed")
          .containsExactly(".lock");
    }
    assertThat(repo.list(null, null)).isEmpty();
  }
}
