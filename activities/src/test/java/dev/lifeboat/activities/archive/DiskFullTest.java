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
    Path small = mountTmpfs("small", "size=2m");

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

  /** The copy of reused members goes through the kernel: a full disk is reported the same way. */
  @Test
  void anIncrementalBackupOntoAFullDiskFailsTheSameWay() throws Exception {
    Path small = mountTmpfs("small", "size=3m");

    Path src = Files.createDirectories(tmp.resolve("src"));
    byte[] noise = new byte[(int) (1.7 * (1 << 20))];
    new Random(9).nextBytes(noise);
    Files.write(src.resolve("weights.bin"), noise);
    Repository repo = new Repository(small.resolve("repo"));
    BackupResult first = repo.writeFromDirectory("local", "model", src, List.of(), List.of(), null);
    repo.verify(first.ref(), ProgressListener.NONE);
    Files.writeString(src.resolve("notes.txt"), "changed\n");
    List<String> reads = new java.util.concurrent.CopyOnWriteArrayList<>();
    repo.onFileRead(reads::add);

    // the unchanged 1.7 MiB would be copied, but only ~1.3 MiB are left
    assertThatThrownBy(
            () -> repo.writeFromDirectory("local", "model", src, List.of(), List.of(), null))
        .isInstanceOf(ActionException.class)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("CheckFailed"))
        .hasMessageContaining("no space left on device")
        .hasMessageContaining(small.resolve("repo/local/model").toString());
    assertThat(reads).as("weights.bin was being copied, not read").containsExactly("notes.txt");
    assertThat(repo.list(null, null))
        .extracting(ArchiveInfo::name)
        .containsExactly(first.ref().name());
    try (Stream<Path> files = Files.list(small.resolve("repo/local/model"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".partial")))
          .as("the partial archive is removed")
          .isEmpty();
    }
  }

  @Test
  void aCleanRestoreOntoAFileSystemOutOfInodesIsRefusedBeforeAnythingIsRemoved() throws Exception {
    Path small = mountTmpfs("few-inodes", "size=64m,nr_inodes=64");

    Path src = Files.createDirectories(tmp.resolve("src"));
    for (int i = 0; i < 200; i++) {
      Files.writeString(src.resolve("nb" + i + ".txt"), "cell " + i);
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    Path target = Files.createDirectories(small.resolve("work"));
    for (int i = 0; i < 5; i++) {
      Files.writeString(target.resolve("mine" + i + ".txt"), "mine");
    }
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("inodes")
        .hasMessageContaining("nothing was removed");
    try (java.util.stream.Stream<Path> s = Files.list(target)) {
      assertThat(s.toList()).hasSize(5);
    }
  }

  @Test
  void aSparseDiskImageRestoresOntoADiskItFitsOnAndOneThatDoesNotFitIsTakenBack() throws Exception {
    Path small = mountTmpfs("sparse", "size=40m");
    Path src = Files.createDirectories(tmp.resolve("home"));
    byte[] noise = new byte[1 << 20];
    new Random(3).nextBytes(noise);
    try (var ch =
        java.nio.channels.FileChannel.open(
            src.resolve("disk.img"),
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(noise), 0);
      // 256 MB of which 1 MB is data: a disk image as truncate -s leaves it
      ch.truncate(256L << 20);
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), (256L << 20) - 1);
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "home", src, List.of(), List.of(), ProgressListener.NONE);
    List<String> messages = new java.util.ArrayList<>();
    Path target = small.resolve("home");
    repo.restoreToDirectory(b.ref(), target, false, Fixtures.collecting(messages));
    assertThat(Files.size(target.resolve("disk.img"))).isEqualTo(256L << 20);
    assertThat(digest(target.resolve("disk.img"))).isEqualTo(digest(src.resolve("disk.img")));
    assertThat(messages).anyMatch(m -> m.contains("mostly zeros, which are restored as holes"));

    // data that does not fit after all: the full disk stops the restore, which takes back its part
    Path fat = Files.createDirectories(tmp.resolve("fat"));
    byte[] more = new byte[48 << 20];
    new Random(4).nextBytes(more);
    Files.write(fat.resolve("noise.bin"), more);
    BackupResult big =
        repo.writeFromDirectory("local", "fat", fat, List.of(), List.of(), ProgressListener.NONE);
    Path second = small.resolve("fat");
    assertThatThrownBy(
            () -> repo.restoreToDirectory(big.ref(), second, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("needs");
    assertThat(second).doesNotExist();
  }

  private static String digest(Path file) throws Exception {
    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  /**
   * A tmpfs with {@code options} at {@code tmp/name}; the test is skipped where none can be had.
   */
  private Path mountTmpfs(String name, String options) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(
        mounted, "cannot mount a tmpfs (" + options + ") here (needs root): " + out.strip());
    mount = dir;
    return dir;
  }
}
