package dev.lifeboat.activities.archive;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The few libc calls Java does not offer, bound through JNA (already there for libdeflate): where a
 * sparse file's data is, a link's target as its bytes (Java's Path drops a trailing slash and
 * cannot spell bytes that are not UTF-8), starting a file's write-back without a journal commit,
 * and times to the nanosecond.
 */
final class LibC {
  static final boolean AVAILABLE;

  static {
    boolean ok;
    try {
      Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
      ok = true;
    } catch (Throwable e) {
      ok = false;
    }
    AVAILABLE = ok;
  }

  private LibC() {}

  // open(2) flags and utimensat(2) values: x86-64 and aarch64, the platforms these calls are made
  // on, agree on all but O_NOFOLLOW
  static final int O_WRONLY = 01;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_CLOEXEC = 02000000;
  static final int O_PATH = 010000000;
  static final int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final long UTIME_OMIT = (1L << 30) - 2;

  /**
   * Whether {@code path} can be handed to libc: JNA passes names in its default encoding, which
   * must be UTF-8 to spell the bytes Java read (and Java's text must not have lost any).
   */
  static boolean canPass(Path path) {
    return AVAILABLE
        && StandardCharsets.UTF_8.name().equalsIgnoreCase(Native.getDefaultStringEncoding())
        && !RawNames.mayBeLossy(path.toString());
  }

  static native int open(String path, int flags) throws LastErrorException;

  static native long lseek(int fd, long offset, int whence) throws LastErrorException;

  static native int close(int fd);

  /** Starts writing back the range's dirty pages ({@code nbytes} 0: to the end); no waiting. */
  static final int SYNC_FILE_RANGE_WRITE = 2;

  static native int sync_file_range(int fd, long offset, long nbytes, int flags)
      throws LastErrorException;

  static native long readlink(String path, byte[] buffer, long size) throws LastErrorException;

  static native int symlink(String target, String linkPath) throws LastErrorException;

  static native int statvfs(String path, com.sun.jna.Pointer buf) throws LastErrorException;

  /**
   * Sets the times of {@code path} (relative to {@code dirfd}); {@code times} is struct timespec[2]
   * (access, then modification) as 64-bit Linux lays it out: seconds, nanoseconds, twice.
   */
  static native int utimensat(int dirfd, byte[] path, long[] times, int flags)
      throws LastErrorException;

  /**
   * A name as the byte[] calls above take it: UTF-8, NUL-terminated (a String argument costs JNA a
   * native allocation a call, which a restore of many files felt).
   */
  static byte[] name(String name) {
    return (name + '\0').getBytes(StandardCharsets.UTF_8);
  }

  /** Opens {@code path} (NUL-terminated bytes) relative to {@code dirfd}. */
  static native int openat(int dirfd, byte[] path, int flags, int mode) throws LastErrorException;

  static native long pwrite(int fd, com.sun.jna.Pointer buf, long count, long offset)
      throws LastErrorException;

  static native int fchmod(int fd, int mode) throws LastErrorException;

  /** {@code times} as for {@link #utimensat}. */
  static native int futimens(int fd, long[] times) throws LastErrorException;

  /**
   * Inodes a process may still create on {@code path}'s file system, -1 when unknown (no libc, or a
   * file system that reports none, as btrfs does). struct statvfs on 64-bit Linux: eight-byte
   * fields, f_files at 40 and f_favail at 56.
   */
  static long freeInodes(java.nio.file.Path path) {
    if (!canPass(path) || com.sun.jna.Native.LONG_SIZE != 8) {
      return -1;
    }
    try (com.sun.jna.Memory buf = new com.sun.jna.Memory(256)) {
      buf.clear();
      statvfs(path.toString(), buf);
      return buf.getLong(40) == 0 ? -1 : buf.getLong(56);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return -1;
    }
  }

  /**
   * Makes a symlink whose target is {@code target} exactly: Java's Path would drop a trailing slash
   * and fold double ones.
   */
  static void createSymbolicLink(Path link, String target) throws java.io.IOException {
    if (canPass(link)) {
      try {
        symlink(target, link.toString());
        return;
      } catch (LastErrorException e) {
        // Java's own call below fails with the reason, or makes the link as it can
      }
    }
    java.nio.file.Files.createSymbolicLink(link, Path.of(target));
  }
}
