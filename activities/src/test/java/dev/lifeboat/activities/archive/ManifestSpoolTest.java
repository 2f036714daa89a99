package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manifest is written while its archive is (entries in batches as they become final): the file
 * must be exactly what Jackson writes for the whole manifest, every entry with its member run's
 * CRC-32C, and nothing of it may stay behind when the backup fails.
 */
class ManifestSpoolTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-12-01T06:00:00Z"));
  Repository repo;
  Path src;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    src = Fixtures.awkwardTree(tmp.resolve("src"));
    // several spool batches of packed small files, and members of their own around them
    for (int i = 0; i < 1500; i++) {
      Files.writeString(
          Files.createDirectories(src.resolve("many/d" + i / 100)).resolve("f" + i + ".txt"),
          "file " + i + "\n");
    }
    Files.write(src.resolve("many/big.bin"), Fixtures.floats(3 << 20, 7));
  }

  @Test
  void theSpooledManifestIsJacksonsOwnForTheWholeManifest() throws Exception {
    BackupResult first = backup();
    assertCanonical(first.ref());
    repo.verify(first.ref(), ProgressListener.NONE);

    // an incremental backup: copied runs are placed differently from compressed ones
    Files.writeString(src.resolve("many/d7/f700.txt"), "changed\n");
    BackupResult second = backup();
    assertThat(second.reusedFiles()).isGreaterThan(1000);
    assertCanonical(second.ref());

    // a tar stream's archive
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    Fixtures.Run run = Fixtures.run(src, null, tar, "tar", "cf", "-", "many");
    assertThat(run.exit()).as(run.err()).isZero();
    BackupResult pod =
        repo.writeFromTar(
            "s", "pod", new ByteArrayInputStream(tar.toByteArray()), ProgressListener.NONE);
    assertCanonical(pod.ref());
  }

  @Test
  void aBackupThatFailsLeavesNoManifestNorPartOfOne() throws Exception {
    int[] files = {0};
    ProgressListener cancelLate =
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {
            files[0] = (int) filesDone;
          }

          @Override
          public void checkCancelled() {
            // after several batches went to the spool
            if (files[0] > 1200) {
              throw new CancellationException("cancelled");
            }
          }
        };
    assertThatThrownBy(
            () ->
                repo.writeFromDirectory("s", "home", src, List.of(), List.of(), false, cancelLate))
        .isInstanceOf(CancellationException.class);
    try (Stream<Path> left = Files.list(tmp.resolve("repo/s/home"))) {
      assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly(".lock");
    }
  }

  /** The manifest file is byte for byte Jackson's compact form of what it holds, and verifies. */
  private void assertCanonical(ArchiveRef ref) throws Exception {
    byte[] file = Files.readAllBytes(ref.manifestPath());
    Manifest m = Json.MAPPER.readValue(file, Manifest.class);
    assertThat(new String(file, StandardCharsets.UTF_8))
        .isEqualTo(new String(Json.COMPACT.writeValueAsBytes(m), StandardCharsets.UTF_8));
    assertThat(m.entries()).hasSize((int) m.totals().entries());
    assertThat(m.entries()).allSatisfy(e -> assertThat(e.memberCrc32c()).isNotNull());
    // every run's CRC-32C and every entry's digest and place checked against the archive
    repo.verify(ref, ProgressListener.NONE);
  }

  private BackupResult backup() throws Exception {
    clock.advance(Duration.ofHours(1));
    return repo.writeFromDirectory("s", "home", src, List.of(), List.of(), ProgressListener.NONE);
  }
}
