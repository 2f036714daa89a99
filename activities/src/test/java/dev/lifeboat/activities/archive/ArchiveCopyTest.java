package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members copied from a previous archive are read into the archive's buffers between the members
 * compressed around them, written and digested with them: the archive's SHA-256 is still the
 * file's, in order with the compressed members around them, and a previous archive shorter than its
 * manifest fails the backup instead of leaving a hole.
 */
class ArchiveCopyTest {
  @TempDir Path tmp;

  private Path writeFirst(List<byte[]> contents) throws IOException {
    Path first = tmp.resolve("first.tar.gz");
    Files.createFile(first);
    try (ArchiveWriter w = new ArchiveWriter(first, new Progress(ProgressListener.NONE, 0))) {
      for (int i = 0; i < contents.size(); i++) {
        w.add(
            Fixtures.fileItem("f" + i, contents.get(i).length),
            new ByteArrayInputStream(contents.get(i)));
      }
      w.finish();
      assertThat(Fixtures.sha256(Files.readAllBytes(first))).isEqualTo(w.archiveSha256());
      firstEntries = w.entries();
    }
    return first;
  }

  private List<Manifest.Entry> firstEntries;

  @Test
  void copiesAndNewMembersInterleavedKeepTheDigestOfTheFile() throws Exception {
    Random r = new Random(3);
    List<byte[]> contents = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      // some larger than the copy's write-back step would cut at, most small
      byte[] b = new byte[i % 13 == 0 ? 3 << 20 : 100 + r.nextInt(50_000)];
      r.nextBytes(b);
      contents.add(b);
    }
    Path first = writeFirst(contents);
    Path second = tmp.resolve("second.tar.gz");
    Files.createFile(second);
    try (FileChannel from = FileChannel.open(first);
        ArchiveWriter w = new ArchiveWriter(second, new Progress(ProgressListener.NONE, 0))) {
      for (int i = 0; i < contents.size(); i++) {
        Manifest.Entry old = firstEntries.get(i);
        if (i % 7 == 3) {
          byte[] changed = ("changed " + i).getBytes();
          w.add(Fixtures.fileItem("f" + i, changed.length), new ByteArrayInputStream(changed));
        } else {
          long tarLength = firstEntryTarLength(i);
          w.reuse(Fixtures.fileItem("f" + i, contents.get(i).length), old, from, tarLength, null);
        }
      }
      w.finish();
      assertThat(Fixtures.sha256(Files.readAllBytes(second))).isEqualTo(w.archiveSha256());
      assertThat(w.reusedFiles()).isEqualTo(contents.size() - 6);
    }
    // and GNU tar reads it whole
    Path out = Files.createDirectories(tmp.resolve("out"));
    Process p =
        new ProcessBuilder("tar", "xzf", second.toString(), "-C", out.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
    assertThat(Files.readAllBytes(out.resolve("f1"))).isEqualTo(contents.get(1));
    assertThat(Files.readString(out.resolve("f3"))).isEqualTo("changed 3");
  }

  @Test
  void aPreviousArchiveShorterThanItsManifestFailsTheBackup() throws Exception {
    byte[] big = new byte[2 << 20];
    new Random(5).nextBytes(big);
    Path first = writeFirst(List.of(big));
    try (FileChannel ch = FileChannel.open(first, StandardOpenOption.WRITE)) {
      ch.truncate(firstEntries.get(0).memberLength() / 2);
    }
    Path second = tmp.resolve("second.tar.gz");
    Files.createFile(second);
    try (FileChannel from = FileChannel.open(first);
        ArchiveWriter w = new ArchiveWriter(second, new Progress(ProgressListener.NONE, 0))) {
      assertThatThrownBy(
              () -> {
                w.reuse(
                    Fixtures.fileItem("f0", big.length),
                    firstEntries.get(0),
                    from,
                    firstEntryTarLength(0),
                    null);
                w.finish();
              })
          .isInstanceOf(IOException.class)
          .hasMessageContaining("the previous archive ended at");
    }
  }

  /** One header block (short ASCII names need no PAX header), data and padding. */
  private long firstEntryTarLength(int i) {
    return 512 + (firstEntries.get(i).size() + 511) / 512 * 512;
  }
}
