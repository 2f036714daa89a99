package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * The repository's folders, its own and those a few levels below it (sets, sources), by device and
 * inode: a folder reached by another path is one of them, which no path comparison sees. A bind
 * mount of the repository or of one of its folders (`mount --bind /backups/local /mnt/x`), or its
 * file system mounted a second time, made a source whose backups held the archives before them, or
 * a restore target among the archives.
 */
final class RepositoryFolders {
  /** How deep below the repository folders are looked at: its sets' sources are two levels down. */
  static final int DEPTH = 3;

  /** The most folders looked at: a repository holds few (archives are files). */
  static final int LIMIT = 10_000;

  static final RepositoryFolders NONE = new RepositoryFolders(Map.of());

  private record Key(long device, long inode) {}

  /** {@code at}, reached by its own path, is the repository folder {@code is}. */
  record Same(Path at, Path is) {}

  private final Map<Key, Path> folders;

  private RepositoryFolders(Map<Key, Path> folders) {
    this.folders = folders;
  }

  /**
   * The folders of the repository at {@code repo} (a real path); none when it does not exist yet
   * (made by this first backup: no mount of it can lie anywhere yet). Symbolic links in it are not
   * followed; a folder that cannot be read is left out.
   */
  static RepositoryFolders of(Path repo) {
    Map<Key, Path> found = new HashMap<>();
    try {
      Files.walkFileTree(
          repo,
          java.util.Set.of(),
          DEPTH,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return add(dir);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              // the deepest level's folders come as files
              return attrs.isDirectory() ? add(file) : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE;
            }

            private FileVisitResult add(Path dir) {
              try {
                FileStat s = FileStat.of(dir);
                found.putIfAbsent(new Key(s.device(), s.inode()), dir);
              } catch (IOException e) {
                // gone or unreadable since listed: not a folder anyone mounts now
              }
              return found.size() < LIMIT ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
            }
          });
    } catch (IOException e) {
      // what was found so far
    }
    return new RepositoryFolders(found);
  }

  /** The repository folder that {@code s} describes, or null. */
  Path folder(FileStat s) {
    return folders.isEmpty() ? null : folders.get(new Key(s.device(), s.inode()));
  }

  /**
   * The folder, {@code real} or one above it, that is a repository folder reached by another path,
   * and which one it is (the highest such: where the mount is); null when none is. {@code real} is
   * a real path, one inside the repository by its path is not looked for.
   */
  Same at(Path real, Path repo) {
    Same highest = null;
    for (Path p = real; p != null && !folders.isEmpty(); p = p.getParent()) {
      if (p.startsWith(repo)) {
        continue;
      }
      try {
        Path is = folder(FileStat.of(p));
        if (is != null) {
          highest = new Same(p, is);
        }
      } catch (IOException e) {
        // not there yet: a folder a restore will make
      }
    }
    return highest;
  }
}
