package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * While the disk holds the archive's writes up, a writer takes spare buffers beyond its own four,
 * as many as one writer may, and gives them all back when it closes; the archive is whole.
 */
class SpareBuffersTest {
  @TempDir Path tmp;

  @Test
  @Timeout(120)
  void aWriterHeldUpByTheDiskTakesSpareBuffersAndGivesThemBack() throws Exception {
    assertThat(SpareBuffers.free()).isEqualTo(SpareBuffers.TOTAL);
    CountDownLatch disk = new CountDownLatch(1);
    Path archive = tmp.resolve("a.tar.gz");
    Files.createFile(archive);
    byte[] noise = new byte[24 << 20];
    new Random(5).nextBytes(noise);
    ArchiveWriter w =
        new ArchiveWriter(
            archive,
            new Progress(ProgressListener.NONE, 0),
            GzipMembers.Settings.defaults(),
            Compression.GZIP,
            f -> new HeldUp(FileChannel.open(f, StandardOpenOption.WRITE), disk));
    CompletableFuture<String> written =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                w.add(Fixtures.fileItem("noise", noise.length), new ByteArrayInputStream(noise));
                w.finish();
                return w.archiveSha256();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try {
      // the producer fills every buffer it can get while the first write waits
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (SpareBuffers.free() > SpareBuffers.TOTAL - SpareBuffers.PER_WRITER
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(SpareBuffers.free()).isEqualTo(SpareBuffers.TOTAL - SpareBuffers.PER_WRITER);
      assertThat(written).isNotDone();
    } finally {
      disk.countDown();
    }
    String sha = written.get(60, TimeUnit.SECONDS);
    w.close();
    assertThat(SpareBuffers.free()).isEqualTo(SpareBuffers.TOTAL);
    assertThat(sha).isEqualTo(Digests.hex(Digests.sha256().digest(Files.readAllBytes(archive))));
    Path out = Files.createDirectories(tmp.resolve("x"));
    Fixtures.Run run = Fixtures.run(out, "tar", "xzf", archive.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(Files.readAllBytes(out.resolve("noise"))).isEqualTo(noise);
  }

  /** The archive's channel, its writes held until {@code disk} opens. */
  private static final class HeldUp extends FileChannel {
    private final FileChannel f;
    private final CountDownLatch disk;

    HeldUp(FileChannel f, CountDownLatch disk) {
      this.f = f;
      this.disk = disk;
    }

    private void hold() throws IOException {
      try {
        disk.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      hold();
      return f.write(src, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      hold();
      return f.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      hold();
      return f.write(srcs, offset, length);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return f.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return f.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return f.read(dst, position);
    }

    @Override
    public long position() throws IOException {
      return f.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      f.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return f.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      f.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      f.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target)
        throws IOException {
      return f.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count)
        throws IOException {
      return f.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return f.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return f.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return f.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      f.close();
    }
  }
}
