package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Writes checked archive entries into a target directory: never through a symlink that leads outside it,
 * digests compared while writing, directory modes and times applied last (deepest first) so a read-only
 * directory can still be filled and its time is not disturbed by its contents.
 */
final class Extraction {
  private final ArchiveRef ref;
  private final Path target;
  private final Path realTarget;
  private final Progress progress;
  private final List<Entry> directories = new ArrayList<>();
  private final byte[] buffer = new byte[64 * 1024];

  Extraction(ArchiveRef ref, Path target, Progress progress) throws IOException {
    this.ref = ref;
    this.target = target;
    this.realTarget = target.toRealPath();
    this.progress = progress;
  }

  void write(Entry e, InputStream data) throws IOException {
    progress.checkCancelled();
    Path dest = target.resolve(e.path());
    prepareParent(e, dest);
    switch (e.type()) {
      case DIR -> {
        if (!Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
          Files.deleteIfExists(dest);
          Files.createDirectory(dest);
        }
        directories.add(e);
      }
      case FILE -> {
        removeExisting(dest);
        String sha = copy(data, dest, e);
        if (!sha.equals(e.sha256())) {
          throw ActionException.check("archive " + ref.name() + ": entry '" + e.path() + "' has sha256 " + sha
              + " but the manifest says " + e.sha256());
        }
        Files.setPosixFilePermissions(dest, permissions(e.modeBits()));
        Files.setLastModifiedTime(dest, FileTime.from(e.mtime()));
        progress.file();
      }
      case SYMLINK -> {
        removeExisting(dest);
        Files.createSymbolicLink(dest, Path.of(e.linkTarget()));
        try {
          Files.getFileAttributeView(dest, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setTimes(FileTime.from(e.mtime()), null, null);
        } catch (IOException | UnsupportedOperationException ex) {
          // a symlink's own time is cosmetic; some platforms cannot set it
        }
      }
      case HARDLINK -> {
        removeExisting(dest);
        Files.createLink(dest, target.resolve(ArchiveReader.normalizeName(e.linkTarget())));
      }
      default -> throw new IllegalStateException("unknown entry type " + e.type());
    }
  }

  /** Applies directory modes and times, deepest first. */
  void finishDirectories() throws IOException {
    for (int i = directories.size() - 1; i >= 0; i--) {
      Entry e = directories.get(i);
      Path dest = target.resolve(e.path());
      Files.setPosixFilePermissions(dest, permissions(e.modeBits()));
      Files.setLastModifiedTime(dest, FileTime.from(e.mtime()));
    }
  }

  /** Creates missing parent directories one by one, refusing to pass through a symlink that leaves the target. */
  private void prepareParent(Entry e, Path dest) throws IOException {
    Path parent = dest.getParent();
    Path p = target;
    for (Path segment : target.relativize(parent)) {
      if (segment.toString().isEmpty()) {
        continue;
      }
      p = p.resolve(segment.toString());
      if (Files.isSymbolicLink(p)) {
        if (!p.toRealPath().startsWith(realTarget)) {
          throw ActionException.check("archive " + ref.name() + ": entry '" + e.path() + "' would be written through"
              + " symlink '" + target.relativize(p) + "', which leads outside the target");
        }
      } else if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(p);
      }
    }
    if (!parent.toRealPath().startsWith(realTarget)) {
      throw ActionException.check("archive " + ref.name() + ": entry '" + e.path() + "' would be written outside"
          + " the target");
    }
  }

  private static void removeExisting(Path dest) throws IOException {
    if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(dest);
    }
  }

  private String copy(InputStream data, Path dest, Entry e) throws IOException {
    MessageDigest md = Digests.sha256();
    try (OutputStream out = Files.newOutputStream(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while (true) {
        try {
          n = data.read(buffer);
        } catch (IOException ex) {
          if (Repository.isOwnStreamFailure(ex)) {
            throw ActionException.check("archive " + ref.name() + " is corrupt in entry '" + e.path() + "': "
                + ex.getMessage());
          }
          throw ex;
        }
        if (n < 0) {
          break;
        }
        md.update(buffer, 0, n);
        out.write(buffer, 0, n);
        progress.bytes(n);
      }
    }
    return Digests.hex(md.digest());
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }
}
