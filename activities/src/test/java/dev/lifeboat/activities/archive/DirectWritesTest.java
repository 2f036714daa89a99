package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive is written with O_DIRECT where the file system allows it: past the page cache, in
 * whole blocks, cut to its length at the end. Where direct writes are refused, at the open or at
 * the first write, the same archive goes through the page cache. Either way GNU tar reads it and
 * its SHA-256 is the file's.
 */
class DirectWritesTest {
  @TempDir Path tmp;

  /** Files of awkward sizes: odd lengths, text and noise, a few larger than a buffer. */
  private static List<byte[]> contents() {
    Random r = new Random(11);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      byte[] b;
      if (i % 3 == 0) {
        b = new byte[i % 9 == 0 ? (3 << 20) + 4097 : 1 + r.nextInt(70_000)];
        r.nextBytes(b);
      } else {
        b = Fixtures.csv(1 + r.nextInt(200_000), i).getBytes();
      }
      out.add(b);
    }
    return out;
  }

  /**
   * Writes the files into {@code archive}; with {@code drainEvery} > 0 waits for everything written
   * so far after every so many files, as a caller asking for the entries does: each time the buffer
   * is handed over part full.
   */
  private String write(
      Path archive, List<byte[]> files, ArchiveWriter.DirectOpener opener, int drainEvery)
      throws IOException {
    Files.createFile(archive);
    try (ArchiveWriter w =
        new ArchiveWriter(
            archive,
            new Progress(ProgressListener.NONE, 0),
            GzipMembers.Settings.defaults(),
            Compression.GZIP,
            opener)) {
      for (int i = 0; i < files.size(); i++) {
        w.add(
            Fixtures.fileItem("f" + i, files.get(i).length),
            new ByteArrayInputStream(files.get(i)));
        if (drainEvery > 0 && i % drainEvery == drainEvery - 1) {
          assertThat(w.entries()).hasSize(i + 1);
        }
      }
      w.finish();
      assertThat(w.entries()).hasSize(files.size());
      assertThat(Files.size(archive)).isEqualTo(w.totals().compressedBytes());
      return w.archiveSha256();
    }
  }

  /** What GNU tar extracts from {@code archive} is {@code files}, byte for byte. */
  private void assertTarGives(Path archive, List<byte[]> files) throws Exception {
    Path out = Files.createDirectories(tmp.resolve("x-" + archive.getFileName()));
    Fixtures.Run run = Fixtures.run(out, "tar", "xzf", archive.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    for (int i = 0; i < files.size(); i++) {
      assertThat(Files.readAllBytes(out.resolve("f" + i))).isEqualTo(files.get(i));
    }
  }

  /** Bytes of {@code file} in the page cache, as fincore (util-linux) counts them. */
  private static long cachedBytes(Path file) throws Exception {
    Fixtures.Run run =
        Fixtures.run(
            file.getParent(),
            "fincore",
            "--bytes",
            "--noheadings",
            "--output",
            "RES",
            file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    return Long.parseLong(run.out().strip());
  }

  @Test
  void theArchiveGoesPastThePageCacheWhereTheBufferedOneStaysInIt() throws Exception {
    List<byte[]> files = contents();
    Path direct = tmp.resolve("direct.tar.gz");
    Path buffered = tmp.resolve("buffered.tar.gz");
    String directSha = write(direct, files, ArchiveWriter.DIRECT, 0);
    String bufferedSha = write(buffered, files, null, 0);

    assertThat(Fixtures.sha256(Files.readAllBytes(direct))).isEqualTo(directSha);
    assertThat(Fixtures.sha256(Files.readAllBytes(buffered))).isEqualTo(bufferedSha);
    assertThat(Files.size(direct)).isGreaterThan(8L << 20);
    // read above, so measure page cache residency on fresh copies of what was written
    Path direct2 = tmp.resolve("direct2.tar.gz");
    Path buffered2 = tmp.resolve("buffered2.tar.gz");
    write(direct2, files, ArchiveWriter.DIRECT, 0);
    write(buffered2, files, null, 0);
    assertThat(cachedBytes(direct2)).isLessThan(Files.size(direct2) / 8);
    assertThat(cachedBytes(buffered2)).isGreaterThan(Files.size(buffered2) / 2);
    assertTarGives(direct, files);
    assertTarGives(buffered, files);
  }

  @Test
  void partFullBuffersHandedOverMidwayAreWrittenAgainWithWhatFollows() throws Exception {
    List<byte[]> files = contents();
    for (int every : new int[] {1, 4, 7}) {
      Path archive = tmp.resolve("drained-" + every + ".tar.gz");
      String sha = write(archive, files, ArchiveWriter.DIRECT, every);
      assertThat(Fixtures.sha256(Files.readAllBytes(archive))).as("every %d", every).isEqualTo(sha);
      Fixtures.Run t = Fixtures.run(tmp, "gzip", "-t", archive.toString());
      assertThat(t.exit()).as(t.err()).isZero();
      assertThat(t.err()).as("no trailing garbage").isEmpty();
      assertTarGives(archive, files);
    }
  }

  @Test
  void aFileSystemThatRefusesDirectWritesGetsTheArchiveThroughThePageCache() throws Exception {
    List<byte[]> files = contents();
    Path atOpen = tmp.resolve("refused-at-open.tar.gz");
    String openSha =
        write(
            atOpen,
            files,
            f -> {
              throw new IOException(f + ": Invalid argument");
            },
            3);
    // some file systems open for O_DIRECT and refuse the first write
    Path atWrite = tmp.resolve("refused-at-write.tar.gz");
    String writeSha = write(atWrite, files, f -> FileChannel.open(f, StandardOpenOption.READ), 3);

    assertThat(Fixtures.sha256(Files.readAllBytes(atOpen))).isEqualTo(openSha);
    assertThat(Fixtures.sha256(Files.readAllBytes(atWrite))).isEqualTo(writeSha);
    assertTarGives(atOpen, files);
    assertTarGives(atWrite, files);
  }
}
