package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  void aLargeFileIsDigestedBesideItsDecodingAndStillChecked() throws Exception {
    Path big = Files.createDirectories(tmp.resolve("big"));
    byte[] data = new byte[(int) Checker.PIPELINED_MIN + 3_000_001];
    Random r = new Random(11);
    for (int at = 0; at < data.length; at += 1 << 20) {
      // noise and text by turns: stored and deflated members both
      if ((at >> 20) % 2 == 0) {
        for (int k = at; k < Math.min(data.length, at + (1 << 20)); k++) {
          data[k] = (byte) r.nextInt();
        }
      } else {
        for (int k = at; k < Math.min(data.length, at + (1 << 20)); k++) {
          data[k] = (byte) ('a' + k % 7);
        }
      }
    }
    Files.write(big.resolve("model.bin"), data);
    BackupResult b =
        repo.writeFromDirectory("s", "big", big, List.of(), List.of(), ProgressListener.NONE);
    assertThat(repo.verify(b.ref(), ProgressListener.NONE).files()).isEqualTo(1);
    // restore digests it the same way
    Path out = tmp.resolve("out");
    repo.restoreToDirectory(b.ref(), out, false, ProgressListener.NONE);
    assertThat(Files.readAllBytes(out.resolve("model.bin"))).isEqualTo(data);

    // a digest that is not the file's is found through the pipelined digest too
    Manifest m = repo.manifest(b.ref());
    String sha = m.entries().get(0).sha256();
    String wrong = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
    Files.writeString(
        b.ref().manifestPath(), Files.readString(b.ref().manifestPath()).replace(sha, wrong));
    Repository fresh =
        new Repository(
            tmp.resolve("repo"), Clock.systemUTC(), new GzipMembers.Settings(3, 64 * 1024, null));
    assertThatThrownBy(() -> fresh.verify(b.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'model.bin' has sha256 " + sha)
        .hasMessageContaining("the manifest says " + wrong);
    Repository again =
        new Repository(
            tmp.resolve("repo"), Clock.systemUTC(), new GzipMembers.Settings(3, 64 * 1024, null));
    assertThatThrownBy(
            () ->
                again.restoreToDirectory(
                    b.ref(), tmp.resolve("out2"), false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'model.bin' has sha256 " + sha);
  }

  @Test
  void damageInTwoEntriesIsReportedAtTheFirstAndMarksTheArchiveDamaged() throws Exception {
    Manifest m = repo.manifest(backup.ref());
    Manifest.Entry early =
        m.entries().stream().filter(e -> e.path().equals("d/f30")).findFirst().orElseThrow();
    Manifest.Entry late =
        m.entries().stream().filter(e -> e.path().equals("d/f90")).findFirst().orElseThrow();
    Fixtures.damageMember(backup.ref().path(), late);
    Fixtures.damageMember(backup.ref().path(), early);
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
}
