package dev.lifeboat.activities.archive;

import com.sun.jna.LastErrorException;
import com.sun.jna.Platform;
import java.io.Closeable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;

/**
 * Sets a restored entry's modification time to the nanosecond, as the manifest records it. Java 17
 * sets times through an open directory ({@link SecureDirectoryStream}'s view: futimes) and on a
 * symlink (lutimes) to the microsecond only; utimensat takes nanoseconds. The entry is named
 * relative to a descriptor of its parent, opened by path and then checked to be the very directory
 * the restore holds open (same device and inode, both open at once), and a link in its place is not
 * followed: as safe as the open directory's own view. Where that cannot be done (no libc, a name
 * libc cannot be handed, no /proc, another directory at the path now, any error) {@link #set} says
 * so and the caller sets the time Java's way, whose errors are Java's. One per thread: it keeps the
 * descriptor of the last directory asked about, as a restore sets the times of a folder's entries
 * one after the other.
 */
final class PreciseTimes implements Closeable {
  // names as libc takes them are Java's only when Java reads file names as UTF-8
  static final boolean AVAILABLE =
      LibC.AVAILABLE
          && RawNames.fileNamesAreUtf8()
          && Platform.isLinux()
          && Platform.is64Bit()
          && (Platform.isIntel() || Platform.isARM());

  // the directory last asked about and a checked descriptor of it, -1 when it has none
  private SecureDirectoryStream<Path> dir;
  private int fd = -1;
  // struct timespec[2]: the access time left as it is, the modification time set in place
  private final long[] times = {0, LibC.UTIME_OMIT, 0, 0};

  /**
   * Sets the modification time of {@code name} in {@code parent} (the open directory at {@code
   * parentParts} below {@code target}) without following a link; the access time is left as it is.
   * False when it could not be set this way.
   */
  boolean set(
      SecureDirectoryStream<Path> parent,
      Path target,
      List<String> parentParts,
      String name,
      Instant mtime) {
    if (RawNames.mayBeLossy(name) || descriptor(parent, target, parentParts) < 0) {
      return false;
    }
    try {
      LibC.utimensat(fd, LibC.name(name), times(mtime), LibC.AT_SYMLINK_NOFOLLOW);
      return true;
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return false;
    }
  }

  /**
   * Sets the modification time of the open file {@code file} (a descriptor), the access time left
   * as it is; false when it could not be set this way.
   */
  boolean set(int file, Instant mtime) {
    try {
      LibC.futimens(file, times(mtime));
      return true;
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return false;
    }
  }

  private long[] times(Instant mtime) {
    times[2] = mtime.getEpochSecond();
    times[3] = mtime.getNano();
    return times;
  }

  /**
   * A descriptor of {@code parent} (the open directory at {@code parentParts} below {@code
   * target}), checked to be that very directory; -1 when there is none to be had. It stays this
   * object's: valid until the next call with another directory, or {@link #close}.
   */
  int descriptor(SecureDirectoryStream<Path> parent, Path target, List<String> parentParts) {
    if (!AVAILABLE) {
      return -1;
    }
    if (parent != dir) {
      open(parent, parentParts.isEmpty() ? target : target.resolve(String.join("/", parentParts)));
    }
    return fd;
  }

  private void open(SecureDirectoryStream<Path> parent, Path path) {
    close();
    dir = parent;
    if (!LibC.canPass(path)) {
      return;
    }
    int d;
    try {
      d = LibC.open(path.toString(), LibC.O_PATH | LibC.O_CLOEXEC);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return;
    }
    try {
      // the descriptor's own directory, whatever the path led through
      Object opened =
          Files.readAttributes(Path.of("/proc/self/fd/" + d), BasicFileAttributes.class).fileKey();
      Object held =
          parent.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
      if (opened != null && opened.equals(held)) {
        fd = d;
        return;
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not to be had: Java's way
    }
    LibC.close(d);
  }

  @Override
  public void close() {
    if (fd >= 0) {
      LibC.close(fd);
      fd = -1;
    }
    dir = null;
  }
}
