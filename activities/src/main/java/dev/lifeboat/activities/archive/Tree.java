package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Removing a directory's contents without following symlinks or entering another file system,
 * read-only subdirectories included.
 */
final class Tree {
  private Tree() {}

  static void emptyDirectory(Path target) throws IOException {
    emptyDirectory(target, null);
  }

  /** Empties {@code target} but for its direct child named {@code keep} (null: keep nothing). */
  static void emptyDirectory(Path target, String keep) throws IOException {
    // The real path: a target that is itself a symlink must be emptied, not unlinked.
    Path dir = target.toRealPath();
    Object device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
              throws IOException {
            // a restore refuses targets with mounts first; one mounted since is still not emptied
            if (!device.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
              throw new IOException(
                  d + " is another file system mounted inside " + dir + "; not emptied");
            }
            if (!Files.isWritable(d) || !Files.isExecutable(d)) {
              Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(d));
              perms.add(PosixFilePermission.OWNER_READ);
              perms.add(PosixFilePermission.OWNER_WRITE);
              perms.add(PosixFilePermission.OWNER_EXECUTE);
              Files.setPosixFilePermissions(d, perms);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (keep != null
                && file.getParent().equals(dir)
                && file.getFileName().toString().equals(keep)) {
              return FileVisitResult.CONTINUE;
            }
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
            if (exc != null) {
              throw exc;
            }
            if (!d.equals(dir)) {
              Files.delete(d);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  static void emptyDirectoryQuietly(Path dir, String keep) {
    try {
      if (Files.isDirectory(dir)) {
        emptyDirectory(dir, keep);
      }
    } catch (IOException e) {
      // best effort: the restore already failed with its own error
    }
  }
}
