package dev.lifeboat.activities.archive;

import com.sun.jna.LastErrorException;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens a file for a backup without reading its holes. A large file's holes (a sparse disk image, a
 * preallocated array) read as zeros, but the kernel still hands over every zero: 9 GiB of holes
 * took ~50 s of system time. Here the kernel says where the data is ({@code lseek} with {@code
 * SEEK_DATA}/{@code SEEK_HOLE}) and holes are given as zeros without asking it. The bytes are the
 * same either way; only the reading is saved. Linux on x86-64 and aarch64, through libc; anywhere
 * else, or when anything about it fails, the file is read as usual.
 */
final class SparseInput {
  private SparseInput() {}

  /** Smaller files are read as usual: one more open and a few lseeks would not pay. */
  static final long MIN_SIZE = 64L << 20;

  private static final byte[] ZEROS = new byte[64 * 1024];

  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  private static final int ENXIO = 6;

  // O_NOFOLLOW differs between architectures; O_NONBLOCK keeps a FIFO swapped in from blocking
  private static final int O_NOFOLLOW =
      Platform.isLinux() && Platform.is64Bit() && Platform.isIntel()
          ? 0400000
          : Platform.isLinux() && Platform.isARM() && Platform.is64Bit() ? 0100000 : -1;
  private static final int O_FLAGS = O_NOFOLLOW | 04000 /* O_NONBLOCK */ | 02000000 /* O_CLOEXEC */;

  /** {@link #channel} as an input stream. */
  static InputStream open(Path file, long size) throws IOException {
    java.nio.channels.ReadableByteChannel c = channel(file, size);
    return c instanceof Holes h ? h : java.nio.channels.Channels.newInputStream(c);
  }

  /**
   * The file's bytes: holes skipped when the file is large and the kernel can say where. A channel:
   * a file's channel reads into native memory in one copy, where an input stream copies through the
   * heap.
   */
  static java.nio.channels.ReadableByteChannel channel(Path file, long size) throws IOException {
    if (size >= MIN_SIZE && O_NOFOLLOW > 0 && LibC.canPass(file)) {
      Holes holes = Holes.open(file);
      if (holes != null) {
        return holes;
      }
    }
    return Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  /** The file's data runs read from disk, its holes as zeros. */
  static final class Holes extends InputStream implements java.nio.channels.ReadableByteChannel {
    private final int fd;
    private final FileChannel channel;
    private long position;
    // the run [position, end) is a hole or data, as found by the last lseek
    private long end;
    private boolean hole;
    private long holeBytes;

    private Holes(int fd, FileChannel channel) {
      this.fd = fd;
      this.channel = channel;
    }

    /** Null when the file cannot be opened this way: then it is opened as usual. */
    static Holes open(Path file) {
      int fd;
      try {
        fd = LibC.open(file.toString(), O_FLAGS);
      } catch (LastErrorException | UnsatisfiedLinkError e) {
        return null;
      }
      try {
        // the descriptor's own file, whatever happens to the path meanwhile
        Path self = Path.of("/proc/self/fd/" + fd);
        if (!Files.isRegularFile(self)) {
          LibC.close(fd);
          return null;
        }
        return new Holes(fd, FileChannel.open(self, StandardOpenOption.READ));
      } catch (IOException | RuntimeException e) {
        LibC.close(fd);
        return null;
      }
    }

    /** How many bytes were given as zeros without reading them. */
    long holeBytes() {
      return holeBytes;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return read(ByteBuffer.wrap(b, off, len));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!dst.hasRemaining()) {
        return 0;
      }
      if (position >= end && !locate()) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), end - position);
      if (hole) {
        // copied, not filled: the copy is a stub at every JIT tier, the fill loop only under C2
        for (int at = 0; at < n; at += ZEROS.length) {
          dst.put(ZEROS, 0, Math.min(ZEROS.length, n - at));
        }
        holeBytes += n;
      } else {
        ByteBuffer part = dst.duplicate().limit(dst.position() + n);
        n = channel.read(part, position);
        if (n < 0) {
          return -1;
        }
        dst.position(dst.position() + n);
      }
      position += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    /** Finds the run at {@link #position}; false at the end of the file. */
    private boolean locate() throws IOException {
      long size = channel.size();
      if (position >= size) {
        return false;
      }
      long data;
      try {
        data = LibC.lseek(fd, position, SEEK_DATA);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == ENXIO) {
          // no data from here to the end: the rest is one hole
          hole = true;
          end = size;
          return true;
        }
        return readAsData(size);
      }
      if (data > position) {
        hole = true;
        end = data;
        return true;
      }
      long next;
      try {
        next = LibC.lseek(fd, position, SEEK_HOLE);
      } catch (LastErrorException e) {
        return readAsData(size);
      }
      if (next <= position) {
        return readAsData(size);
      }
      hole = false;
      end = next;
      return true;
    }

    /** The kernel could not say: read the rest as it is, holes and all. */
    private boolean readAsData(long size) {
      hole = false;
      end = Long.MAX_VALUE;
      return position < size;
    }

    @Override
    public void close() throws IOException {
      try {
        channel.close();
      } finally {
        LibC.close(fd);
      }
    }
  }
}
