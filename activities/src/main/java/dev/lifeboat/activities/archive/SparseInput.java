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
    if (O_NOFOLLOW > 0 && LibC.canPass(file)) {
      int fd = openRegular(file);
      boolean owned = false;
      try {
        FileChannel channel = FileChannel.open(self(fd), StandardOpenOption.READ);
        if (size >= MIN_SIZE) {
          owned = true;
          return new Holes(fd, channel);
        }
        return channel;
      } finally {
        if (!owned) {
          LibC.close(fd);
        }
      }
    }
    // where libc cannot be had: a fifo swapped in since the scan would block this open
    return Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether {@link #openRegular} can be used on this platform (with {@link LibC#canPass}). */
  static boolean canOpenRegular() {
    return O_NOFOLLOW > 0;
  }

  /** The open descriptor's own file, whatever happens to the path meanwhile. */
  private static Path self(int fd) {
    return Path.of("/proc/self/fd/" + fd);
  }

  /**
   * A descriptor of the regular file at {@code file}, opened without following a link and without
   * blocking: a fifo, socket or device that took the file's place after the scan is refused with an
   * error, where an open that waits for a fifo's writer held the backup up for ever.
   */
  static int openRegular(Path file) throws IOException {
    int fd;
    try {
      fd = LibC.open(file.toString(), O_FLAGS);
    } catch (LastErrorException e) {
      throw failure(file, e);
    }
    boolean regular = false;
    try {
      regular = Fd.isRegular(fd, self(fd));
    } finally {
      if (!regular) {
        LibC.close(fd);
      }
    }
    if (!regular) {
      throw new java.nio.file.FileSystemException(
          file.toString(),
          null,
          "no longer a regular file (a fifo, socket or device took its place after the scan)");
    }
    return fd;
  }

  /**
   * Reads a descriptor's file into {@code data} from its start, up to its length or the file's end;
   * returns the bytes read.
   */
  static int readFully(int fd, byte[] data) throws IOException {
    if (!Fd.AVAILABLE) {
      try (FileChannel c = FileChannel.open(self(fd), StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining() && c.read(b) >= 0) {
          // to the end or the scanned size
        }
        return b.position();
      }
    }
    com.sun.jna.Memory buffer = Fd.BUFFER.get();
    int got = 0;
    while (got < data.length) {
      int want = (int) Math.min(data.length - got, buffer.size());
      long n;
      try {
        n = Fd.read(fd, buffer, want);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == 4 /* EINTR */) {
          continue;
        }
        throw new IOException(e.getMessage().replaceFirst("^\\[\\d+\\] ", ""));
      }
      if (n <= 0) {
        break;
      }
      buffer.read(0, data, got, (int) n);
      got += (int) n;
    }
    return got;
  }

  /**
   * fstat(2) and read(2) on a descriptor, bound apart from {@link LibC}: fstat is a libc symbol
   * only since glibc 2.33, and a library without it must not take the other calls with it.
   */
  private static final class Fd {
    static final boolean AVAILABLE;
    // st_mode's offset in struct stat
    private static final long MODE = Platform.isARM() ? 16 : 24;
    private static final ThreadLocal<com.sun.jna.Memory> STAT =
        ThreadLocal.withInitial(() -> new com.sun.jna.Memory(256));
    static final ThreadLocal<com.sun.jna.Memory> BUFFER =
        ThreadLocal.withInitial(() -> new com.sun.jna.Memory(64 * 1024));

    static {
      boolean ok;
      try {
        com.sun.jna.Native.register(
            Fd.class, com.sun.jna.NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        ok = true;
      } catch (Throwable e) {
        ok = false;
      }
      AVAILABLE = ok;
    }

    private static native int fstat(int fd, com.sun.jna.Pointer buf) throws LastErrorException;

    static native long read(int fd, com.sun.jna.Pointer buf, long count) throws LastErrorException;

    /** Whether the descriptor is a regular file's; {@code self} names it where fstat is not had. */
    static boolean isRegular(int fd, Path self) {
      if (!AVAILABLE) {
        return Files.isRegularFile(self);
      }
      com.sun.jna.Memory st = STAT.get();
      try {
        fstat(fd, st);
      } catch (LastErrorException e) {
        return false;
      }
      return (st.getInt(MODE) & 0170000) == 0100000;
    }
  }

  /** What Java's own open throws for {@code e}'s errno. */
  private static IOException failure(Path file, LastErrorException e) {
    String why = e.getMessage() == null ? "" : e.getMessage().replaceFirst("^\\[\\d+\\] ", "");
    return switch (e.getErrorCode()) {
      case 2 -> new java.nio.file.NoSuchFileException(file.toString());
      case 1, 13 -> new java.nio.file.AccessDeniedException(file.toString());
      default -> new java.nio.file.FileSystemException(file.toString(), null, why);
    };
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
