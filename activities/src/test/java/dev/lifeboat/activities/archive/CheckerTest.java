package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel verify: every member checked on several threads, the first damage in entry order
 * reported.
 */
class CheckerTest {
  @TempDir Path tmp;
  Repository repo;
  BackupResult backup;

  @BeforeEach
  void archive() throws Exception {
    Path src = Fixtures.awkwardTree(tmp.resolve("src"));
    Random r = new Random(3);
    for (int i = 0; i < 200; i++) {
      byte[] b = new byte[r.nextInt(200_000)];
      if (i % 3 == 0) {
        r.nextBytes(b);
      }
      Fixtures.write(
          src.resolve("d/f" + i),
          new String(b, java.nio.charset.StandardCharsets.ISO_8859_1),
          "rw-r--r--");
    }
    repo =
        new Repository(
            tmp.resolve("repo"), Clock.systemUTC(), new GzipMembers.Settings(3, 64 * 1024, null));
    backup = repo.writeFromDirectory("s", "src", src, List.of(), List.of(), ProgressListener.NONE);
  }

  @Test
  void aGoodArchiveVerifiesAndReportsEveryFile() throws Exception {
    long[] files = {0};
    ProgressListener counting = (done, total, f) -> files[0] = f;
    VerifyResult v = repo.verify(backup.ref(), counting);
    assertThat(v.files()).isEqualTo(backup.files());
    assertThat(files[0]).isEqualTo(backup.files());
    assertThat(ArchiveStates.read(backup.ref(), repo.manifest(backup.ref()), null).isVerified())
        .isTrue();
  }

  @Test
  void damageInTwoEntriesIsReportedAtTheFirstAndMarksTheArchiveDamaged() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    Manifest.Entry early =
        m.entries().stream().filter(e -> e.path().equals("d/f30")).findFirst().orElseThrow();
    Manifest.Entry late =
        m.entries().stream().filter(e -> e.path().equals("d/f90")).findFirst().orElseThrow();
    flip(late.memberOffset() + late.memberLength() / 2);
    flip(early.memberOffset() + early.memberLength() / 2);
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'d/f30'");
    assertThat(ArchiveStates.read(backup.ref(), m, null).isDamaged()).isTrue();
  }

  @Test
  void aTruncatedOrGrownArchiveIsDamagedWithTheSizesNamed() throws Exception {
    long size = Files.size(backup.ref().path());
    try (FileChannel ch = FileChannel.open(backup.ref().path(), StandardOpenOption.WRITE)) {
      ch.truncate(size - 100);
    }
    assertThatThrownBy(() -> repo.verify(backup.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining((size - 100) + " bytes but its manifest says " + size);
  }

  private void flip(long at) throws Exception {
    try (FileChannel ch =
        FileChannel.open(backup.ref().path(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
      ch.write(b, at);
    }
  }
}
