package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pod and PVC backups arrive as a plain tar stream (GNU {@code tar cf -} in the pod): a file whose
 * streamed bytes are the previous archive's (by SHA-256) and whose header would be written the same
 * is copied as its old members; anything else is compressed from the bytes that arrived. Every
 * archive still restores alone, by GNU tar and by Lifeboat.
 */
class TarStreamReuseTest {
  @TempDir Path tmp;
  Path src;
  Repository repo;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-11-22T00:15:00Z"));

  @BeforeEach
  void tree() throws Exception {
    src = Fixtures.awkwardTree(tmp.resolve("src"));
    Random r = new Random(11);
    Files.createDirectories(src.resolve("many"));
    for (int i = 0; i < 40; i++) {
      byte[] data = new byte[500 + r.nextInt(30_000)];
      if (i % 2 == 0) {
        r.nextBytes(data);
      } else {
        java.util.Arrays.fill(data, (byte) ('a' + i % 26));
      }
      Path f = src.resolve("many/f" + i + ".bin");
      Files.write(f, data);
      Files.setLastModifiedTime(f, FileTime.from(Fixtures.T0.plusSeconds(i)));
    }
    repo = new Repository(tmp.resolve("repo"), clock);
  }

  /** What the pod sends: real GNU tar of the tree, with any extra options. */
  private byte[] podTar(String... options) throws Exception {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    List<String> cmd = new java.util.ArrayList<>(List.of("tar", "cf", "-"));
    cmd.addAll(List.of(options));
    cmd.add(".");
    Fixtures.Run run = Fixtures.run(src, null, tar, cmd.toArray(String[]::new));
    assertThat(run.exit()).as(run.err()).isZero();
    return tar.toByteArray();
  }

  private BackupResult backup(boolean full, Compression format, String... tarOptions)
      throws Exception {
    clock.advance(Duration.ofHours(1));
    BackupResult r =
        repo.writeFromTar(
            "s",
            "pod",
            new ByteArrayInputStream(podTar(tarOptions)),
            full,
            format,
            ProgressListener.NONE);
    // as the backup runbooks do: only a verified archive is copied from
    repo.verify(r.ref(), ProgressListener.NONE);
    return r;
  }

  private BackupResult backup() throws Exception {
    return backup(false, Compression.GZIP);
  }

  /** GNU tar extracts the archive alone; the tree it gives equals the source, byte for byte. */
  private void restoresAloneAsTheSource(BackupResult r, String... tarFlags) throws Exception {
    Path out = Files.createDirectories(tmp.resolve("out-" + r.ref().name()));
    List<String> cmd = new java.util.ArrayList<>(List.of("tar"));
    cmd.addAll(List.of(tarFlags));
    cmd.add(r.ref().path().toString());
    Fixtures.Run tar = Fixtures.run(out, cmd.toArray(String[]::new));
    assertThat(tar.exit()).as(tar.err()).isZero();
    Fixtures.Run diff =
        Fixtures.run(tmp, "diff", "-r", "--no-dereference", src.toString(), out.toString());
    assertThat(diff.exit()).as(diff.out() + diff.err()).isZero();
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(src));
    Path restored = tmp.resolve("restored-" + r.ref().name());
    repo.restoreToDirectory(r.ref(), restored, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(src));
    assertThat(repo.verify(r.ref(), ProgressListener.NONE).files()).isEqualTo(r.files());
  }

  private static void sameSizeAndTime(Path f, String content) throws Exception {
    FileTime mtime = Files.getLastModifiedTime(f);
    assertThat(content.length()).isEqualTo(Files.size(f));
    Files.writeString(f, content);
    Files.setLastModifiedTime(f, mtime);
  }

  @Test
  void anUnchangedStreamedFileIsCopiedAndAChangedOneCompressed() throws Exception {
    BackupResult first = backup();
    assertThat(first.reusedFiles()).isZero();
    assertThat(first.reusedFrom()).isNull();

    Files.writeString(src.resolve("many/f3.bin"), "rewritten\n");
    BackupResult second = backup();
    assertThat(second.files()).isEqualTo(first.files());
    assertThat(second.reusedFiles()).isEqualTo(first.files() - 1);
    assertThat(second.reusedBytes())
        .isEqualTo(second.bytes() - Files.size(src.resolve("many/f3.bin")));
    assertThat(second.reusedFrom()).isEqualTo(first.ref().name());
    assertThat(Fixtures.sha256(Files.readAllBytes(second.ref().path()))).isEqualTo(second.sha256());

    Files.delete(first.ref().path());
    restoresAloneAsTheSource(second, "xzf");
    Fixtures.Run gzip = Fixtures.run(tmp, "gzip", "-t", second.ref().path().toString());
    assertThat(gzip.exit()).as(gzip.err()).isZero();
  }

  @Test
  void theSameSizeAndMtimeWithOtherBytesIsNotReused() throws Exception {
    backup();
    Path f = src.resolve("notebooks/with space.txt");
    sameSizeAndTime(f, "HELLO WORLD\n");
    BackupResult second = backup();
    assertThat(second.reusedFiles()).isEqualTo(second.files() - 1);
    ByteArrayOutputStream one = new ByteArrayOutputStream();
    repo.readFile(second.ref(), "notebooks/with space.txt", one);
    assertThat(one.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("HELLO WORLD\n");
    restoresAloneAsTheSource(second, "xzf");
  }

  @Test
  void anotherOwnerOrModeWithTheSameBytesIsNotCopiedWithTheOldHeader() throws Exception {
    backup();
    // the same bytes, mode and mtime, another owner: only the header tells
    BackupResult owner = backup(false, Compression.GZIP, "--owner=jovyan:4242");
    assertThat(owner.reusedFiles()).isZero();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(
            Compression.GZIP.decoding(Files.newInputStream(owner.ref().path())))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        assertThat(e.getLongUserId()).as(e.getName()).isEqualTo(4242);
        assertThat(e.getUserName()).as(e.getName()).isEqualTo("jovyan");
      }
    }
    // back to the first archive's owner: its members fit again (the newest good is the owner one)
    BackupResult back = backup();
    assertThat(back.reusedFiles()).isZero();
    BackupResult again = backup();
    assertThat(again.reusedFiles()).isEqualTo(again.files());

    Path f = src.resolve("bin/run.sh");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    BackupResult mode = backup();
    // run.sh and its hard link's data travel once, under run.sh
    assertThat(mode.reusedFiles()).isEqualTo(mode.files() - 1);
    restoresAloneAsTheSource(mode, "xzf");
  }

  @Test
  void zstdReusesZstdButNotGzip() throws Exception {
    backup();
    BackupResult firstZstd = backup(false, Compression.ZSTD);
    assertThat(firstZstd.reusedFiles()).isZero();
    assertThat(firstZstd.reusedFrom()).isNull();
    Files.writeString(src.resolve("many/f8.bin"), "changed\n");
    BackupResult secondZstd = backup(false, Compression.ZSTD);
    assertThat(secondZstd.ref().name()).endsWith(".tar.zst");
    assertThat(secondZstd.reusedFiles()).isEqualTo(secondZstd.files() - 1);
    Files.delete(firstZstd.ref().path());
    restoresAloneAsTheSource(secondZstd, "--zstd", "-xf");
  }

  @Test
  void fullReusesNothing() throws Exception {
    BackupResult first = backup();
    BackupResult full = backup(true, Compression.GZIP);
    assertThat(full.reusedFiles()).isZero();
    assertThat(full.reusedFrom()).isNull();
    assertThat(full.files()).isEqualTo(first.files());
  }

  @Test
  void aCandidateAboveTheMemoryBoundIsSpooledAndLeavesNothingBehind() throws Exception {
    byte[] big = new byte[Archiver.IN_MEMORY + 3 * 1024 * 1024 + 5];
    new Random(3).nextBytes(big);
    // compressible in its second half, so a wrong copy would not go unnoticed by size alone
    java.util.Arrays.fill(big, big.length / 2, big.length, (byte) 'w');
    Path weights = src.resolve("data/weights.bin");
    Files.write(weights, big);
    backup();

    BackupResult same = backup();
    assertThat(same.reusedFiles()).isEqualTo(same.files());
    assertThat(hiddenFiles()).isEmpty();

    big[big.length - 1] = 'x';
    FileTime mtime = Files.getLastModifiedTime(weights);
    Files.write(weights, big);
    Files.setLastModifiedTime(weights, mtime);
    BackupResult changed = backup();
    assertThat(changed.reusedFiles()).isEqualTo(changed.files() - 1);
    assertThat(changed.reusedBytes()).isEqualTo(changed.bytes() - big.length);
    assertThat(hiddenFiles()).isEmpty();
    restoresAloneAsTheSource(changed, "xzf");
  }

  @Test
  void aSpoolLeftByACrashIsCleanedByTheNextBackup() throws Exception {
    backup();
    Path dir = repo.sourceDir("s", "pod");
    Path leftover = dir.resolve(ArchiveNames.partial("20261122T011500Z.spool"));
    Files.write(leftover, new byte[1000]);
    BackupResult next = backup();
    assertThat(next.cleaned()).containsExactly(leftover.getFileName().toString());
    assertThat(leftover).doesNotExist();
  }

  /** Partial files in the source's folder: none may outlive a backup. */
  private List<String> hiddenFiles() throws Exception {
    try (Stream<Path> s = Files.list(repo.sourceDir("s", "pod"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(ArchiveNames.PARTIAL_SUFFIX))
          .toList();
    }
  }
}
