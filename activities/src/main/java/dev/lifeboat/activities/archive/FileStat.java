package dev.lifeboat.activities.archive;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A path's own attributes (lstat): what a scan records of each entry and what tells a changed file.
 *
 * <p>Read with one statx call through JNA where libc has it: Java's "unix:" view builds and parses
 * a map per call, and compiling that code was a fifth of a cold backup's JIT time. Java's own
 * reading is used where statx cannot be asked (no such call, file names not read as UTF-8, a name
 * Java could not read losslessly) and for every failure, so errors are Java's exceptions; both give
 * the same values.
 */
record FileStat(
    int mode,
    long uid,
    long gid,
    long size,
    Instant mtime,
    Instant ctime,
    long inode,
    long device,
    long links) {

  boolean isDirectory() {
    return (mode & 0170000) == 0040000;
  }

  boolean isRegularFile() {
    return (mode & 0170000) == 0100000;
  }

  boolean isSymbolicLink() {
    return (mode & 0170000) == 0120000;
  }

  /** The attributes of {@code path} itself (a symlink's, not its target's). */
  static FileStat of(Path path) throws IOException {
    FileStat s = null;
    if (Statx.AVAILABLE) {
      String name = path.toString();
      if (!RawNames.mayBeLossy(name)) {
        s = Statx.read(name);
      }
    }
    return s != null ? s : java(path);
  }

  private static final String JAVA_ATTRIBUTES =
      "unix:mode,uid,gid,size,lastModifiedTime,ctime,ino,dev,nlink";

  /** Java's reading, the reference statx must agree with. */
  static FileStat java(Path path) throws IOException {
    Map<String, Object> a = Files.readAttributes(path, JAVA_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    return new FileStat(
        (Integer) a.get("mode"),
        Integer.toUnsignedLong((Integer) a.get("uid")),
        Integer.toUnsignedLong((Integer) a.get("gid")),
        (Long) a.get("size"),
        ((FileTime) a.get("lastModifiedTime")).toInstant(),
        ((FileTime) a.get("ctime")).toInstant(),
        (Long) a.get("ino"),
        (Long) a.get("dev"),
        Integer.toUnsignedLong((Integer) a.get("nlink")));
  }

  /** statx(2) through JNA; {@code null} from {@link #read} means "ask Java". */
  static final class Statx {
    static final boolean AVAILABLE;

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    // type, mode, nlink, uid, gid, mtime, ctime, ino, size: what the record holds
    private static final int WANTED = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200;
    private static final int SIZE = 256;

    /** One thread's struct statx, and a view of it to read the fields from. */
    private static final class Result {
      final com.sun.jna.Memory memory = new com.sun.jna.Memory(SIZE);
      final ByteBuffer view = memory.getByteBuffer(0, SIZE).order(ByteOrder.nativeOrder());
    }

    // before the check below, which reads through it
    private static final ThreadLocal<Result> RESULT = ThreadLocal.withInitial(Result::new);

    static {
      boolean ok;
      try {
        Native.register(Statx.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        ok = RawNames.fileNamesAreUtf8() && read("/") != null;
      } catch (Throwable e) {
        ok = false; // libc without statx (glibc < 2.28) or a kernel that refuses it
      }
      AVAILABLE = ok;
    }

    private Statx() {}

    // the name as NUL-terminated bytes: JNA's own String conversion looks up its encoding per call;
    // the result in native memory of the calling thread's: a byte[] there is copied in and out of
    // the JVM around every call
    private static native int statx(
        int dirfd, byte[] path, int flags, int mask, com.sun.jna.Pointer buffer);

    /**
     * {@code path} must be Java's lossless text of the name (file names read as UTF-8, nothing
     * replaced): its UTF-8 bytes are then the name's own.
     */
    static FileStat read(String path) {
      byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
      byte[] name = Arrays.copyOf(utf8, utf8.length + 1);
      Result r = RESULT.get();
      if (statx(AT_FDCWD, name, AT_SYMLINK_NOFOLLOW, WANTED, r.memory) != 0) {
        return null;
      }
      return parse(r.view);
    }

    private static FileStat parse(ByteBuffer b) {
      if ((b.getInt(0) & WANTED) != WANTED) {
        return null; // a filesystem that does not give them all
      }
      return new FileStat(
          Short.toUnsignedInt(b.getShort(28)),
          Integer.toUnsignedLong(b.getInt(20)),
          Integer.toUnsignedLong(b.getInt(24)),
          b.getLong(40),
          time(b, 112),
          time(b, 96),
          b.getLong(32),
          device(Integer.toUnsignedLong(b.getInt(136)), Integer.toUnsignedLong(b.getInt(140))),
          Integer.toUnsignedLong(b.getInt(16)));
    }

    /** glibc's makedev, which is what Java's "unix:dev" holds. */
    private static long device(long major, long minor) {
      return (major & 0xfffL) << 8
          | (major & 0xfffff000L) << 32
          | minor & 0xffL
          | (minor & 0xffffff00L) << 12;
    }

    /** A statx timestamp as Java's FileTime gives it: nanoseconds, microseconds past ±292 years. */
    private static Instant time(ByteBuffer b, int at) {
      long sec = b.getLong(at);
      long nsec = Integer.toUnsignedLong(b.getInt(at + 8));
      if (nsec == 0) {
        return FileTime.from(sec, TimeUnit.SECONDS).toInstant();
      }
      try {
        return FileTime.from(
                Math.addExact(nsec, Math.multiplyExact(sec, 1_000_000_000L)), TimeUnit.NANOSECONDS)
            .toInstant();
      } catch (ArithmeticException e) {
        return FileTime.from(sec * 1_000_000L + nsec / 1_000L, TimeUnit.MICROSECONDS).toInstant();
      }
    }
  }
}
