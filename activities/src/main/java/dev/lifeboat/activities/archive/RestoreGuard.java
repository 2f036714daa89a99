package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Refuses, before anything is written, entries whose names cannot be a place inside the target:
 * empty, absolute, with {@code ..} or a NUL byte, and hardlinks to anything but a file earlier in
 * the same archive. Link targets are not judged here: symlinks are restored as archived, whatever
 * they point to, and {@link Extraction} never writes through one.
 */
final class RestoreGuard {
  private RestoreGuard() {}

  static void check(String archive, List<Entry> entries) {
    Set<String> files = new HashSet<>();
    // what the archive has made each path so far, and every folder something was put in: an entry
    // below a link or file, or one that would replace a folder with entries, fails the extraction,
    // and must fail before a clean restore empties the target
    java.util.Map<String, Manifest.EntryType> made = new java.util.HashMap<>();
    Set<String> holding = new HashSet<>();
    for (Entry e : entries) {
      String p = e.path();
      if (p == null || p.isEmpty() || ArchiveReader.normalizeName(p).isEmpty()) {
        throw refuse(archive, "an entry has an empty name ('" + p + "')");
      }
      if (e.type() == null) {
        throw refuse(archive, "entry '" + p + "' has no type");
      }
      if (e.mode() == null || !ManifestCheck.isOctalMode(e.mode())) {
        throw refuse(archive, "entry '" + p + "' has mode '" + e.mode() + "', not octal bits");
      }
      if (e.mtime() == null) {
        throw refuse(archive, "entry '" + p + "' has no time");
      }
      if (p.indexOf('\0') >= 0) {
        throw refuse(archive, "entry '" + p + "' has a NUL byte in its name");
      }
      if (p.startsWith("/")) {
        throw refuse(archive, "entry '" + p + "' has an absolute path");
      }
      if (climbs(p)) {
        throw refuse(archive, "entry '" + p + "' contains '..'");
      }
      checkNameable(archive, p);
      String n = ArchiveReader.normalizeName(p);
      // Every folder in holding has its folders above it there too, and none of them is made
      // anything but a folder (that is refused below): an entry whose folder is held needs no walk
      int last = n.lastIndexOf('/');
      boolean held = last > 0 && holding.contains(n.substring(0, last));
      for (int slash = held ? -1 : n.indexOf('/'); slash > 0; slash = n.indexOf('/', slash + 1)) {
        String above = n.substring(0, slash);
        Manifest.EntryType kind = made.get(above);
        if (kind != null && kind != Manifest.EntryType.DIR) {
          throw refuse(
              archive,
              "entry '"
                  + p
                  + "' lies below '"
                  + above
                  + "', which the archive makes a "
                  + kind.name().toLowerCase(java.util.Locale.ROOT)
                  + ", not a folder");
        }
        holding.add(above);
      }
      Manifest.EntryType before = made.get(n);
      if (before != null
          && before != e.type()
          && (before == Manifest.EntryType.SYMLINK || before == Manifest.EntryType.HARDLINK)) {
        // tar replaces the link with what follows; the extraction makes links last, so it would
        // keep the link and report the file (a link after a file or folder replaces it, as tar)
        throw refuse(
            archive,
            "the archive holds '"
                + p
                + "' twice, as a "
                + before.name().toLowerCase(java.util.Locale.ROOT)
                + " and then as a "
                + e.type().name().toLowerCase(java.util.Locale.ROOT));
      }
      if (e.type() != Manifest.EntryType.DIR && holding.contains(n)) {
        throw refuse(
            archive, "entry '" + p + "' would replace a folder the archive has put entries in");
      }
      made.put(n, e.type());
      switch (e.type()) {
        case FILE -> files.add(p);
        case SYMLINK -> {
          String t = e.linkTarget();
          if (t == null || t.isEmpty()) {
            throw refuse(archive, "symlink '" + p + "' has no target");
          }
          if (t.indexOf('\0') >= 0) {
            throw refuse(archive, "symlink '" + p + "' has a NUL byte in its target");
          }
          checkNameable(archive, t);
        }
        case HARDLINK -> {
          String t = e.linkTarget() == null ? "" : ArchiveReader.normalizeName(e.linkTarget());
          if (t.startsWith("/") || climbs(t)) {
            throw refuse(
                archive,
                "hardlink '" + p + "' points outside the target (to '" + e.linkTarget() + "')");
          }
          if (t.equals(n)) {
            throw refuse(archive, "hardlink '" + p + "' points to itself");
          }
          if (!files.contains(t)) {
            throw refuse(
                archive,
                "hardlink '"
                    + p
                    + "' points to '"
                    + t
                    + "', which is not a file earlier in the archive");
          }
        }
        case DIR -> {}
        default -> throw new IllegalStateException("unknown entry type " + e.type());
      }
    }
  }

  /**
   * A name this JVM can turn into file name bytes: under a C locale Java has only ASCII for them,
   * and a crafted manifest may hold text no encoding takes (a lone surrogate). Found here, before
   * anything is written, not halfway through the restore.
   */
  private static void checkNameable(String archive, String name) {
    if (isAscii(name)) {
      // every encoding Java names files in spells ASCII (a NUL is refused before)
      return;
    }
    try {
      java.nio.file.Path.of(name);
    } catch (java.nio.file.InvalidPathException e) {
      if (!RawNames.fileNamesAreUtf8()) {
        throw ActionException.check(
            "restore of "
                + archive
                + " refused, nothing was written: this JVM writes file names as "
                + RawNames.FILE_NAME_ENCODING
                + ", which cannot spell '"
                + name
                + "'; run Lifeboat with a UTF-8 locale (LC_ALL=C.UTF-8, as scripts/start.sh and"
                + " the image do)");
      }
      throw refuse(archive, "'" + name + "' is not a name a file can have: " + e.getReason());
    }
  }

  /** The manifest's folder metadata, when it has some: a mode of octal digits, a time. */
  static void checkRoot(String archive, Manifest.Root root) {
    if (root == null) {
      return;
    }
    if (!hasOctalMode(root)) {
      throw refuse(archive, "the folder's mode '" + root.mode() + "' is not octal permission bits");
    }
    if (root.mtime() == null) {
      throw refuse(archive, "the folder's metadata has no time");
    }
  }

  /** A folder mode of one to four octal digits, the only kind {@link Manifest.Root} may apply. */
  static boolean hasOctalMode(Manifest.Root root) {
    return root.mode() != null && ManifestCheck.isOctalMode(root.mode());
  }

  private static ActionException refuse(String archive, String why) {
    // one line: the names it quotes come from the archive
    return ActionException.check(
        dev.lifeboat.activities.action.Printable.line(
            "restore of " + archive + " refused, nothing was written: " + why));
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Whether a segment between slashes (or the ends) is "..". */
  private static boolean climbs(String path) {
    for (int at = path.indexOf(".."); at >= 0; at = path.indexOf("..", at + 1)) {
      if ((at == 0 || path.charAt(at - 1) == '/')
          && (at + 2 == path.length() || path.charAt(at + 2) == '/')) {
        return true;
      }
    }
    return false;
  }
}
