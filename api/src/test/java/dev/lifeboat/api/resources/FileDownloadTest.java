package dev.lifeboat.api.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class FileDownloadTest {
  @Test
  void zeroRunsBecomeHolesAndTheCopyReadsBackWhole() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")));
    byte[] head = new byte[100_000];
    new Random(3).nextBytes(head);
    long size = 32L << 20;
    byte[] expected = new byte[(int) size];
    System.arraycopy(head, 0, expected, 0, head.length);
    expected[(int) (size / 2) + 1] = 7;
    // written in odd slices, so zero runs start and end inside a write
    FileDownload d =
        FileDownload.of(
            out -> {
              for (int at = 0; at < expected.length; at += 12_345) {
                out.write(expected, at, Math.min(12_345, expected.length - at));
              }
              return size;
            });
    try (d) {
      assertThat(d.size()).isEqualTo(size);
      List<Path> copies = copies();
      assertThat(copies).hasSize(1);
      assertThat(Files.readSymbolicLink(copies.get(0)).toString()).endsWith("(deleted)");
      // stat's own /proc/self is another process: the copy is named by this JVM's pid
      Path open =
          Path.of("/proc", Long.toString(ProcessHandle.current().pid()))
              .resolve(Path.of("/proc/self").relativize(copies.get(0)));
      Process stat = new ProcessBuilder("stat", "-L", "-c", "%b %B %s", open.toString()).start();
      String[] blocks = new String(stat.getInputStream().readAllBytes()).trim().split(" ");
      assertThat(stat.waitFor()).isZero();
      assertThat(Long.parseLong(blocks[2])).isEqualTo(size);
      assertThat(Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]))
          .as("disk taken by the copy of a file of zeros but 100 kB and one byte")
          .isLessThan(1 << 20);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      d.write(got);
      assertThat(got.toByteArray()).isEqualTo(expected);
    }
    assertThat(copies()).isEmpty();
  }

  @Test
  void aFailedCheckLeavesNoCopy() throws Exception {
    assertThatThrownBy(
            () ->
                FileDownload.of(
                    out -> {
                      out.write(new byte[] {1, 2, 3});
                      throw new IllegalStateException("digest does not match");
                    }))
        .hasMessageContaining("digest");
    if (Files.isDirectory(Path.of("/proc/self/fd"))) {
      assertThat(copies()).isEmpty();
    }
  }

  private static List<Path> copies() throws IOException {
    List<Path> found = new ArrayList<>();
    try (var fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          if (Files.readSymbolicLink(fd).toString().contains("lifeboat-file")) {
            found.add(fd);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return found;
  }
}
