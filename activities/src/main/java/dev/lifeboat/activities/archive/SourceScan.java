package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.ArchiveWriter.Item;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The entries a directory backup will hold, in archive order (a directory before its contents, names
 * sorted), after includes and excludes. A file is included when includes are empty, when it matches an
 * include, or when one of its directories does; a directory is kept when it holds something kept.
 */
final class SourceScan {
  /** One entry to archive and the file it comes from. */
  record Found(Path file, Item item) { }

  record Result(List<Found> items, List<String> skipped, long files, long bytes) { }

  private final Path root;
  private final List<PathMatcher> includes;
  private final List<PathMatcher> excludes;
  private final Map<List<Object>, String> firstLinkByInode = new HashMap<>();
  private final List<String> skipped = new ArrayList<>();
  private long files;
  private long bytes;

  private SourceScan(Path root, List<String> includes, List<String> excludes) {
    this.root = root;
    this.includes = matchers(includes);
    this.excludes = matchers(excludes);
  }

  static Result scan(Path root, List<String> includes, List<String> excludes) throws IOException {
    SourceScan scan = new SourceScan(root, includes, excludes);
    List<Found> items = new ArrayList<>();
    scan.directory(root, "", false, items);
    return new Result(items, scan.skipped, scan.files, scan.bytes);
  }

  private void directory(Path dir, String rel, boolean inIncludedDir, List<Found> out) throws IOException {
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.sorted().toList();
    }
    for (Path child : children) {
      String childRel = rel.isEmpty() ? child.getFileName().toString() : rel + "/" + child.getFileName();
      Path relPath = Path.of(childRel);
      if (matches(excludes, relPath)) {
        continue;
      }
      Map<String, Object> a = Files.readAttributes(child, "unix:*", LinkOption.NOFOLLOW_LINKS);
      boolean included = includes.isEmpty() || inIncludedDir || matches(includes, relPath);
      if (Boolean.TRUE.equals(a.get("isDirectory"))) {
        List<Found> sub = new ArrayList<>();
        directory(child, childRel, included && !includes.isEmpty() || inIncludedDir, sub);
        if (included || !sub.isEmpty()) {
          out.add(new Found(child, item(childRel, EntryType.DIR, a, 0, null)));
          out.addAll(sub);
        }
      } else if (!included) {
        continue;
      } else if (Boolean.TRUE.equals(a.get("isSymbolicLink"))) {
        out.add(new Found(child, item(childRel, EntryType.SYMLINK, a, 0, Files.readSymbolicLink(child).toString())));
      } else if (Boolean.TRUE.equals(a.get("isRegularFile"))) {
        int nlink = ((Number) a.get("nlink")).intValue();
        String first = null;
        if (nlink > 1) {
          first = firstLinkByInode.putIfAbsent(List.of(a.get("dev"), a.get("ino")), childRel);
        }
        if (first != null) {
          out.add(new Found(child, item(childRel, EntryType.HARDLINK, a, 0, first)));
        } else {
          long size = ((Number) a.get("size")).longValue();
          out.add(new Found(child, item(childRel, EntryType.FILE, a, size, null)));
          files++;
          bytes += size;
        }
      } else {
        skipped.add(childRel + " (not a file, directory or symlink)");
      }
    }
  }

  private static Item item(String rel, EntryType type, Map<String, Object> a, long size, String link) {
    return new Item(rel, type, ((Number) a.get("mode")).intValue() & 07777,
        ((FileTime) a.get("lastModifiedTime")).toInstant(), size, link,
        ((Number) a.get("uid")).longValue(), ((Number) a.get("gid")).longValue(),
        a.get("owner") instanceof UserPrincipal u ? u.getName() : null,
        a.get("group") instanceof GroupPrincipal g ? g.getName() : null);
  }

  private static boolean matches(List<PathMatcher> matchers, Path rel) {
    for (PathMatcher m : matchers) {
      if (m.matches(rel)) {
        return true;
      }
    }
    return false;
  }

  private static List<PathMatcher> matchers(List<String> globs) {
    List<PathMatcher> out = new ArrayList<>();
    if (globs != null) {
      for (String g : globs) {
        out.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
      }
    }
    return out;
  }
}
