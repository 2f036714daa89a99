package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The restore's refusals before anything is written come out as the check first written gave them
 * on random archives (folders, files, links and hard links over a few names, "..", "." and doubled
 * slashes among them), now that an entry whose folder was seen skips the walk up.
 */
class RestoreGuardTest {
  private static final String[] SEGMENTS = {"a", "b", "..", ".", "", "a..", "..b"};
  private static final EntryType[] KINDS = {
    EntryType.DIR, EntryType.DIR, EntryType.FILE, EntryType.SYMLINK, EntryType.HARDLINK
  };

  @Test
  void refusesWhatTheFirstCheckRefused() {
    Random r = new Random(12);
    int refused = 0;
    for (int round = 0; round < 20_000; round++) {
      List<Entry> entries = new ArrayList<>();
      int n = 1 + r.nextInt(8);
      for (int i = 0; i < n; i++) {
        StringBuilder p = new StringBuilder();
        int depth = 1 + r.nextInt(4);
        for (int d = 0; d < depth; d++) {
          String s =
              r.nextInt(6) == 0
                  ? SEGMENTS[r.nextInt(SEGMENTS.length)]
                  : "" + (char) ('a' + r.nextInt(2));
          p.append(d == 0 ? "" : "/").append(s);
        }
        EntryType type = KINDS[r.nextInt(KINDS.length)];
        String link =
            type == EntryType.SYMLINK
                ? "../x"
                : type == EntryType.HARDLINK ? (r.nextBoolean() ? "a" : "a/b") : null;
        entries.add(new Entry(p.toString(), type, "0644", Instant.EPOCH, 0, null, link, 0, 0, 1));
      }
      String expected = outcome(() -> firstCheck("x", entries));
      assertThat(outcome(() -> RestoreGuard.check("x", entries)))
          .as("%s", entries)
          .isEqualTo(expected);
      refused += expected == null ? 0 : 1;
    }
    assertThat(refused).as("both answers are tried").isBetween(2_000, 18_000);
  }

  private static String outcome(Runnable check) {
    try {
      check.run();
      return null;
    } catch (ActionException e) {
      return e.getMessage();
    }
  }

  private static ActionException refuse(String archive, String why) {
    return ActionException.check(
        dev.lifeboat.activities.action.Printable.line(
            "restore of " + archive + " refused, nothing was written: " + why));
  }

  private static ActionException refuse(String why) {
    return refuse("x", why);
  }

  private static boolean firstClimbs(String path) {
    for (String segment : path.split("/")) {
      if (segment.equals("..")) {
        return true;
      }
    }
    return false;
  }

  /** The check as first written: every folder above every entry walked; climbs by split. */
  private static void firstCheck(String archive, List<Entry> entries) {
    Set<String> files = new HashSet<>();
    // what the archive has made each path so far, and every folder something was put in: an entry
    // below a link or file, or one that would replace a folder with entries, fails the extraction,
    // and must fail before a clean restore empties the target
    java.util.Map<String, Manifest.EntryType> made = new java.util.HashMap<>();
    Set<String> holding = new HashSet<>();
    for (Entry e : entries) {
      String p = e.path();
      if (p == null || p.isEmpty() || ArchiveReader.normalizeName(p).isEmpty()) {
        throw refuse("an entry has an empty name ('" + p + "')");
      }
      if (e.type() == null) {
        throw refuse("entry '" + p + "' has no type");
      }
      if (e.mode() == null || !ManifestCheck.isOctalMode(e.mode())) {
        throw refuse("entry '" + p + "' has mode '" + e.mode() + "', not octal bits");
      }
      if (e.mtime() == null) {
        throw refuse("entry '" + p + "' has no time");
      }
      if (p.indexOf('\0') >= 0) {
        throw refuse("entry '" + p + "' has a NUL byte in its name");
      }
      if (p.startsWith("/")) {
        throw refuse("entry '" + p + "' has an absolute path");
      }
      if (firstClimbs(p)) {
        throw refuse("entry '" + p + "' contains '..'");
      }
      java.nio.file.Path.of(p);
      String n = ArchiveReader.normalizeName(p);
      for (int slash = n.indexOf('/'); slash > 0; slash = n.indexOf('/', slash + 1)) {
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
            throw refuse("symlink '" + p + "' has no target");
          }
          if (t.indexOf('\0') >= 0) {
            throw refuse("symlink '" + p + "' has a NUL byte in its target");
          }
          java.nio.file.Path.of(t);
        }
        case HARDLINK -> {
          String t = e.linkTarget() == null ? "" : ArchiveReader.normalizeName(e.linkTarget());
          if (t.startsWith("/") || firstClimbs(t)) {
            throw refuse(
                archive,
                "hardlink '" + p + "' points outside the target (to '" + e.linkTarget() + "')");
          }
          if (t.equals(n)) {
            throw refuse("hardlink '" + p + "' points to itself");
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
}
