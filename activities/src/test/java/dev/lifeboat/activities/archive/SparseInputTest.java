package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large sparse file is read without its holes and gives exactly the bytes a plain read gives; a
 * backup of it digests, restores and stays sparse; a symlink, a small file or a file that is not
 * sparse are read as usual.
 */
class SparseInputTest {
  @TempDir Path tmp;

  /** 200 MiB with 1 MiB of data at the start, in the middle and at the end; holes between. */
  private Path sparse() throws IOException {
    Path f = tmp.resolve("disk.img");
    Random r = new Random(3);
    byte[] data = new byte[1 << 20];
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(200L << 20);
      for (long at : new long[] {0, 97L << 20, (199L << 20)}) {
        r.nextBytes(data);
        raf.seek(at);
        raf.write(data);
      }
    }
    return f;
  }

  /** The file's digest as a plain read gives it. */
  private static byte[] plainSha(Path f) throws Exception {
    try (InputStream in = Files.newInputStream(f)) {
      return sha(in);
    }
  }

  private static byte[] sha(InputStream in) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] b = new byte[64 * 1024];
    int n;
    while ((n = in.read(b, 0, b.length)) > 0) {
      md.update(b, 0, n);
    }
    return md.digest();
  }

  @Test
  void holesAreGivenAsZerosWithoutReadingThemAndTheBytesAreTheSame() throws Exception {
    assumeThat(LibC.AVAILABLE).as("libc through JNA").isTrue();
    Path f = sparse();
    byte[] plain = plainSha(f);
    try (InputStream in = SparseInput.open(f, Files.size(f))) {
      assertThat(in).isInstanceOf(SparseInput.Holes.class);
      assertThat(sha(in)).isEqualTo(plain);
      long holes = ((SparseInput.Holes) in).holeBytes();
      assertThat(holes)
          .as("bytes given as zeros (a filesystem may allocate a little around data)")
          .isGreaterThan(180L << 20);
    }
  }

  @Test
  void asAChannelHolesAndDataAreTheFilesBytesInAnyPieceSize() throws Exception {
    assumeThat(LibC.AVAILABLE).as("libc through JNA").isTrue();
    Path f = sparse();
    byte[] plain = plainSha(f);
    try (java.nio.channels.ReadableByteChannel ch = SparseInput.channel(f, Files.size(f))) {
      assertThat(ch).isInstanceOf(SparseInput.Holes.class);
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(1 << 20);
      Random r = new Random(3);
      while (true) {
        b.clear().limit(1 + r.nextInt(b.capacity()));
        if (ch.read(b) < 0) {
          break;
        }
        md.update(b.flip());
      }
      assertThat(md.digest()).isEqualTo(plain);
      assertThat(((SparseInput.Holes) ch).holeBytes()).isGreaterThan(180L << 20);
    }
    Path small = Files.writeString(tmp.resolve("small.txt"), "small");
    try (java.nio.channels.ReadableByteChannel ch = SparseInput.channel(small, 5)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
      assertThat(ch.read(b)).isEqualTo(5);
      assertThat(ch.read(b)).isEqualTo(-1);
    }
    Path link = Files.createSymbolicLink(tmp.resolve("small-link"), small);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> SparseInput.channel(link, 5)))
        .as("a symlink swapped in for a file is not followed")
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aFileWithoutHolesIsReadWhole() throws Exception {
    assumeThat(LibC.AVAILABLE).as("libc through JNA").isTrue();
    Path f = tmp.resolve("dense.bin");
    byte[] b = new byte[(int) SparseInput.MIN_SIZE + 4096];
    new Random(5).nextBytes(b);
    Files.write(f, b);
    try (InputStream in = SparseInput.open(f, b.length)) {
      assertThat(in.readAllBytes()).isEqualTo(b);
      assertThat(((SparseInput.Holes) in).holeBytes()).isZero();
    }
  }

  @Test
  void smallFilesAndSymlinksAreOpenedAsBefore() throws Exception {
    Path small = Files.writeString(tmp.resolve("small.txt"), "small");
    try (InputStream in = SparseInput.open(small, 5)) {
      assertThat(in).isNotInstanceOf(SparseInput.Holes.class);
    }
    Path f = sparse();
    Path link = Files.createSymbolicLink(tmp.resolve("link"), f);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SparseInput.channel(link, Files.size(f)))
        .as("O_NOFOLLOW: a symlink is not followed")
        .isInstanceOf(java.nio.file.FileSystemException.class);
  }

  @Test
  void aBackupOfASparseFileDigestsRestoresAndStaysSparse() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.move(sparse(), src.resolve("disk.img"));
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "vm", src, List.of(), List.of(), ProgressListener.NONE);
    String sha;
    try (InputStream in = Files.newInputStream(src.resolve("disk.img"))) {
      sha = Digests.hex(sha(in));
    }
    assertThat(repo.manifest(b.ref()).entries())
        .filteredOn(e -> e.path().equals("disk.img"))
        .singleElement()
        .satisfies(e -> assertThat(e.sha256()).isEqualTo(sha));
    repo.verify(b.ref(), ProgressListener.NONE);
    Path out = tmp.resolve("out");
    repo.restoreToDirectory(b.ref(), out, false, ProgressListener.NONE);
    try (InputStream in = Files.newInputStream(out.resolve("disk.img"))) {
      assertThat(Digests.hex(sha(in))).isEqualTo(sha);
    }
    assertThat(FaithfulRestoreTest.allocatedBytes(out.resolve("disk.img"))).isLessThan(32L << 20);
    // the holes' chunks (their members compressed once and repeated) are gzip as any tool reads it
    assertThat(Files.size(b.ref().path())).isLessThan(4L << 20);
    Path gnu = Files.createDirectories(tmp.resolve("gnu"));
    Fixtures.Run x = Fixtures.run(gnu, "tar", "xzf", b.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    try (InputStream in = Files.newInputStream(gnu.resolve("disk.img"))) {
      assertThat(Digests.hex(sha(in))).isEqualTo(sha);
    }
  }
}
