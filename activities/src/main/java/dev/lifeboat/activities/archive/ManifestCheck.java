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
    if (m.formatVersion() < 1 || m.formatVersion() > Manifest.FORMAT_VERSION) {
      return "its format version is "
          + m.formatVersion()
          + ", not one this Lifeboat reads (1 to "
          + Manifest.FORMAT_VERSION
          + ")";
    }
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
      // the entry's label is made only for a problem: a label a good entry was most of this loop
      if (e == null) {
        return "entry #" + (i + 1) + " is empty (null)";
      }
      if (e.path() == null) {
        return "entry #" + (i + 1) + " has no path";
      }
      String wrong = entryProblem(e);
      if (wrong != null) {
        return "entry #" + (i + 1) + " ('" + shortened(e.path()) + "') " + wrong;
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
    return unreadableProblem(m);
  }

  /**
   * What is wrong with the count of entries the backup could not read, null when nothing: a listing
   * reads it from the head alone, and a negative count would say an archive is whole.
   */
  static String unreadableProblem(Manifest m) {
    return m.unreadable() != null && m.unreadable() < 0
        ? "its count of entries the backup could not read is negative (" + m.unreadable() + ")"
        : null;
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

  /** One to four octal digits: a mode's permission bits as manifests write them. */
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
   * Why a manifest file could not be parsed, in the file's terms (which field, what is wrong with
   * it, where), never the parser's: its messages name Java types and its own settings.
   */
  static String readFailure(IOException e) {
    if (!(e instanceof JsonProcessingException j)) {
      return String.valueOf(e.getMessage());
    }
    String where = "";
    JsonLocation at = j.getLocation();
    if (at != null && at.getLineNr() > 0) {
      where = " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    String field = "";
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException jm
        && !jm.getPath().isEmpty()) {
      StringBuilder path = new StringBuilder();
      for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : jm.getPath()) {
        if (r.getFieldName() != null) {
          path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          path.append('[').append(r.getIndex()).append(']');
        }
      }
      field = "field '" + shortened(path.toString()) + "' ";
    }
    return "it is not a manifest Lifeboat can read: " + field + what(e) + where;
  }

  /** What is wrong, in a few words. */
  private static String what(IOException e) {
    if (e instanceof com.fasterxml.jackson.databind.exc.InvalidFormatException f) {
      return "holds "
          + shortened(String.valueOf(f.getValue()))
          + ", which is not "
          + kind(f.getTargetType());
    }
    if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException m) {
      String original = String.valueOf(m.getOriginalMessage());
      if (original.startsWith("No content to map")) {
        return "the file is empty";
      }
      if (original.startsWith("Trailing token")) {
        return "something follows the manifest's object";
      }
      return "is not " + kind(m.getTargetType());
    }
    if (e instanceof com.fasterxml.jackson.databind.exc.ValueInstantiationException) {
      return "has a value of the wrong kind";
    }
    String original = String.valueOf(((JsonProcessingException) e).getOriginalMessage());
    if (original.startsWith("Duplicate field")) {
      return "a key is given twice (" + shortened(original.replaceAll("[^ -~]", "?")) + ")";
    }
    if (original.contains("out of range")) {
      return "a number is out of range";
    }
    if (original.contains("nesting depth") || original.contains("Nesting depth")) {
      return "it is nested too deeply";
    }
    if (original.contains("end-of-input")) {
      return "the file ends early";
    }
    return "it is not valid JSON";
  }

  /** What a field of this Java type holds, in words. */
  private static String kind(Class<?> type) {
    if (type == null) {
      return "a value of the right kind";
    }
    if (type == EntryType.class) {
      return "an entry type (file, dir, symlink or hardlink)";
    }
    if (type == java.time.Instant.class) {
      return "a time (ISO-8601, as 2026-01-31T12:00:00Z)";
    }
    if (type == long.class || type == int.class || type == Long.class || type == Integer.class) {
      return "a whole number";
    }
    if (type == String.class) {
      return "text";
    }
    if (java.util.Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "an object of the kind a manifest holds there";
  }

  private static String shortened(String s) {
    return s.length() <= MAX_PROBLEM_PATH ? s : s.substring(0, MAX_PROBLEM_PATH) + "...";
  }
}
