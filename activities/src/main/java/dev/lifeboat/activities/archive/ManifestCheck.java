package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.util.List;

/**
 * What a manifest read from disk must hold before anything uses it: every field a reader relies on,
 * and totals that are the sums of its entries. A manifest is as untrusted as its archive; without
 * this a crafted one failed deep inside verify or restore with an internal error, or passed a space
 * check with totals that overflowed.
 */
final class ManifestCheck {
  private static final int MAX_PROBLEM_PATH = 200;

  private ManifestCheck() {}

  /** What is wrong with the manifest, naming the entry, or null when a reader can rely on it. */
  static String problem(Manifest m) {
    if (m.entries() == null) {
      return "it has no list of entries";
    }
    if (m.totals() == null) {
      return "it has no totals";
    }
    List<Entry> entries = m.entries();
    long files = 0;
    long bytes = 0;
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      String entry = "entry #" + (i + 1);
      if (e == null) {
        return entry + " is empty (null)";
      }
      if (e.path() == null) {
        return entry + " has no path";
      }
      entry += " ('" + shortened(e.path()) + "')";
      String wrong = entryProblem(e);
      if (wrong != null) {
        return entry + " " + wrong;
      }
      if (e.type() == EntryType.FILE) {
        files++;
        bytes += e.size();
        if (bytes < 0) {
          return "its files add up to more than " + Long.MAX_VALUE + " bytes";
        }
      }
    }
    Manifest.Totals t = m.totals();
    if (t.entries() != entries.size() || t.files() != files || t.bytes() != bytes) {
      return "its totals ("
          + t.entries()
          + " entries, "
          + t.files()
          + " files, "
          + t.bytes()
          + " bytes) are not those of its entries ("
          + entries.size()
          + ", "
          + files
          + ", "
          + bytes
          + ")";
    }
    if (t.compressedBytes() < 0 || t.endMemberOffset() < 0 || t.tarBytes() < 0) {
      return "its totals give a negative size or offset";
    }
    return null;
  }

  private static String entryProblem(Entry e) {
    if (e.type() == null) {
      return "has no type";
    }
    if (e.mode() == null || !isOctalMode(e.mode())) {
      return "has mode '" + shortened(String.valueOf(e.mode())) + "', not octal permission bits";
    }
    if (e.mtime() == null) {
      return "has no modification time";
    }
    if (e.size() < 0 || e.type() != EntryType.FILE && e.size() != 0) {
      return "has size " + e.size() + ", which a " + e.type() + " cannot have";
    }
    if (e.type() == EntryType.FILE && (e.sha256() == null || !isSha256(e.sha256()))) {
      return "has no SHA-256 of its bytes";
    }
    if ((e.type() == EntryType.SYMLINK || e.type() == EntryType.HARDLINK)
        && e.linkTarget() == null) {
      return "is a link without a target";
    }
    if (e.memberOffset() < 0 || e.memberLength() < 0 || e.tarOffset() < 0) {
      return "has a negative offset or length";
    }
    return null;
  }

  static boolean isOctalMode(String mode) {
    if (mode.isEmpty() || mode.length() > 4) {
      return false;
    }
    for (int i = 0; i < mode.length(); i++) {
      char c = mode.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }

  private static boolean isSha256(String s) {
    if (s.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why a manifest file could not be parsed, without the parser's own stack of types: the reason
   * and where in the file.
   */
  static String readFailure(IOException e) {
    if (e instanceof JsonProcessingException j) {
      String why = j.getOriginalMessage();
      if (why != null) {
        // the first line only: the rest repeats the file's name and Jackson's reference chain
        int nl = why.indexOf('\n');
        why = nl >= 0 ? why.substring(0, nl) : why;
      }
      JsonLocation at = j.getLocation();
      return "it is not a manifest Lifeboat can read: "
          + shortened(String.valueOf(why))
          + (at != null && at.getLineNr() > 0
              ? " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"
              : "");
    }
    return String.valueOf(e.getMessage());
  }

  private static String shortened(String s) {
    return s.length() <= MAX_PROBLEM_PATH ? s : s.substring(0, MAX_PROBLEM_PATH) + "...";
  }
}
