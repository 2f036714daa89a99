package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * statx through JNA gives what Java's "unix:" view gives, for every kind of entry a home directory
 * holds and for the odd values (nanosecond, pre-1970 and far-future times, set-id bits, links, ids
 * past 2^31), so a scan reads the same whichever of the two answered.
 */
class FileStatTest {
  @TempDir Path tmp;

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
  }

  private List<Path> entries() throws Exception {
    List<Path> all = new ArrayList<>();
    Path file = Files.writeString(tmp.resolve("notebook.ipynb"), "{\"cells\": []}\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-03-04T05:06:07.123456789Z")));
    all.add(file);
    Path setuid = Files.writeString(tmp.resolve("tool"), "#!/bin/sh\n");
    run("chmod", "4755", setuid.toString());
    all.add(setuid);
    Path sticky = Files.createDirectory(tmp.resolve("shared"));
    run("chmod", "1777", sticky.toString());
    all.add(sticky);
    Path old = Files.writeString(tmp.resolve("old.csv"), "a,b\n");
    // Java's own setter writes 1970 for times before it
    run("touch", "-m", "-d", "1960-01-01 00:00:00.5 UTC", old.toString());
    all.add(old);
    Path future = Files.writeString(tmp.resolve("future.txt"), "later\n");
    Files.setLastModifiedTime(
        future, FileTime.from(Instant.parse("2400-01-01T00:00:00.000000001Z")));
    all.add(future);
    Path whole = Files.writeString(tmp.resolve("whole-second"), "x");
    Files.setLastModifiedTime(whole, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    all.add(whole);
    all.add(Files.writeString(tmp.resolve("Überprüfung-数据分析-проект-α.csv"), "a\n"));
    Path linked = Files.createLink(tmp.resolve("second-name"), file);
    all.add(linked);
    all.add(Files.createSymbolicLink(tmp.resolve("abs-link"), file.toAbsolutePath()));
    all.add(Files.createSymbolicLink(tmp.resolve("dangling"), tmp.resolve("nowhere")));
    Path fifo = tmp.resolve("pipe");
    run("mkfifo", fifo.toString());
    all.add(fifo);
    Path socket = tmp.resolve("kernel.sock");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(socket));
    }
    all.add(socket);
    Path bigIds = Files.writeString(tmp.resolve("mapped-ids"), "y");
    if (new ProcessBuilder("chown", "4000000000:4000000001", bigIds.toString()).start().waitFor()
        == 0) {
      all.add(bigIds);
    }
    Path sparse = tmp.resolve("sparse.img");
    try (var raf = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
      raf.setLength(1L << 40);
    }
    all.add(sparse);
    all.add(tmp);
    return all;
  }

  @Test
  void statxAndJavaAgreeOnEveryKindOfEntry() throws Exception {
    assumeThat(FileStat.Statx.AVAILABLE).as("statx through JNA").isTrue();
    for (Path p : entries()) {
      FileStat java = FileStat.java(p);
      assertThat(FileStat.Statx.read(p.toString())).as(p.toString()).isEqualTo(java);
      assertThat(FileStat.of(p)).as(p.toString()).isEqualTo(java);
    }
  }

  @Test
  void kindsComeFromTheModeAndOddValuesSurvive() throws Exception {
    entries();
    assertThat(FileStat.of(tmp.resolve("shared")).isDirectory()).isTrue();
    assertThat(FileStat.of(tmp.resolve("shared")).mode() & 07777).isEqualTo(01777);
    assertThat(FileStat.of(tmp.resolve("tool")).mode() & 07777).isEqualTo(04755);
    FileStat link = FileStat.of(tmp.resolve("dangling"));
    assertThat(link.isSymbolicLink()).isTrue();
    assertThat(link.isRegularFile()).isFalse();
    FileStat file = FileStat.of(tmp.resolve("notebook.ipynb"));
    assertThat(file.isRegularFile()).isTrue();
    assertThat(file.links()).isEqualTo(2);
    assertThat(file.mtime()).isEqualTo(Instant.parse("2026-03-04T05:06:07.123456789Z"));
    assertThat(FileStat.of(tmp.resolve("second-name")).inode()).isEqualTo(file.inode());
    assertThat(FileStat.of(tmp.resolve("old.csv")).mtime())
        .isEqualTo(Instant.parse("1960-01-01T00:00:00.5Z"));
    assertThat(FileStat.of(tmp.resolve("sparse.img")).size()).isEqualTo(1L << 40);
    assertThat(SourceScan.kind(FileStat.of(tmp.resolve("pipe")).mode())).isEqualTo("fifo");
    assertThat(SourceScan.kind(FileStat.of(tmp.resolve("kernel.sock")).mode())).isEqualTo("socket");
  }

  @Test
  void aMissingPathIsJavasNoSuchFileException() {
    assertThatThrownBy(() -> FileStat.of(tmp.resolve("gone")))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("gone");
  }
}
