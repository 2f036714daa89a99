package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** How archives and their sidecars are named inside {@code <repository>/<set>/<source>/}. */
final class ArchiveNames {
  /** The default (gzip) archive suffix; {@link Compression#suffix()} gives each kind's. */
  static final String ARCHIVE_SUFFIX = ".tar.gz";

  static final String MANIFEST_SUFFIX = ".manifest.json";
  static final String VERIFIED_SUFFIX = ".verified.json";
  static final String STATE_SUFFIX = ".state.json";
  static final String LOCK = ".lock";
  static final String PIN_SUFFIX = ".pin";
  static final String DRILL_SUFFIX = ".drill.json";

  /**
   * The record a prune leaves of an archive it deleted, for the offsite sync; see {@link Pruner}.
   */
  static final String PRUNED_SUFFIX = ".pruned";

  static final String LAST_PASSED_DRILL = "last-passed-drill.json";
  static final String PARTIAL_SUFFIX = ".partial";
  static final String LATEST = "latest";

  static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern ARCHIVE = Pattern.compile("\\d{8}T\\d{6}Z\\.tar\\.(gz|zst)");
  private static final Pattern STEM = Pattern.compile("\\d{8}T\\d{6}Z");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._@+-]*");

  private ArchiveNames() {}

  static boolean isArchive(String fileName) {
    return ARCHIVE.matcher(fileName).matches();
  }

  static String stem(String archiveName) {
    for (Compression c : Compression.values()) {
      if (archiveName.endsWith(c.suffix())) {
        return archiveName.substring(0, archiveName.length() - c.suffix().length());
      }
    }
    return archiveName;
  }

  static String archiveName(Instant at) {
    return archiveName(at, Compression.GZIP);
  }

  static String archiveName(Instant at, Compression compression) {
    return stamp(at) + compression.suffix();
  }

  /**
   * {@link #STAMP}'s text for {@code at}, by hand for years 0 to 9999: the formatter's first use
   * loaded locale and time-zone data (~20 ms of a fresh JVM's backup before its first byte).
   */
  static String stamp(Instant at) {
    java.time.LocalDateTime t =
        java.time.LocalDateTime.ofEpochSecond(at.getEpochSecond(), 0, ZoneOffset.UTC);
    if (t.getYear() < 0 || t.getYear() > 9999) {
      return STAMP.format(at);
    }
    char[] c = new char[16];
    digits(c, 0, t.getYear(), 4);
    digits(c, 4, t.getMonthValue(), 2);
    digits(c, 6, t.getDayOfMonth(), 2);
    c[8] = 'T';
    digits(c, 9, t.getHour(), 2);
    digits(c, 11, t.getMinute(), 2);
    digits(c, 13, t.getSecond(), 2);
    c[15] = 'Z';
    return new String(c);
  }

  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /**
   * The file name a user's {@code archive} means in {@code dir}: a full name as it is; a bare
   * timestamp gets the suffix of the archive that exists with it (gzip when none does, so the
   * caller's "does not exist" names the usual file).
   */
  static String inDirectory(Path dir, String archive) {
    if (!isStem(archive)) {
      return isArchive(archive) ? archive : archive + ARCHIVE_SUFFIX;
    }
    for (Compression c : Compression.values()) {
      if (Files.exists(dir.resolve(archive + c.suffix()), LinkOption.NOFOLLOW_LINKS)) {
        return archive + c.suffix();
      }
    }
    return archive + ARCHIVE_SUFFIX;
  }

  /**
   * Whether an archive of any kind exists for a timestamp {@code stem}; false for what is not a
   * timestamp.
   */
  static boolean archiveExists(Path dir, String stem) {
    if (!isStem(stem)) {
      return false;
    }
    for (Compression c : Compression.values()) {
      if (Files.exists(dir.resolve(stem + c.suffix()), LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the partial file of an archive of {@code stem} (any kind) is there: a writer reserved
   * the name and has not renamed the archive into place, or died before it did. A backup creates it
   * before the manifest and state record and renames it last; whoever removes an unfinished write's
   * files removes it last, so sidecars without it belong to an archive that was published.
   */
  static boolean unpublished(Path dir, String stem) {
    for (Compression c : Compression.values()) {
      if (Files.exists(dir.resolve(partial(stem + c.suffix())), LinkOption.NOFOLLOW_LINKS)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code stem} is an archive timestamp such as {@code 20261122T001500Z}. */
  static boolean isStem(String stem) {
    return STEM.matcher(stem).matches();
  }

  /** The temporary name an archive or sidecar has until it is complete; listings never see it. */
  static String partial(String fileName) {
    return "." + fileName + PARTIAL_SUFFIX;
  }

  /** Set and source names become directory names: keep them to one plain path segment. */
  static String checkSegment(String value, String what) {
    if (value == null || value.isBlank()) {
      throw ActionException.invalid(what + " is required");
    }
    String longer = dev.lifeboat.runbook.Names.tooLong(value, what);
    if (longer != null) {
      throw ActionException.invalid(longer);
    }
    if (!NAME.matcher(value).matches() || value.equals(ArchiveNames.LATEST)) {
      throw ActionException.invalid(
          what
              + " '"
              + value
              + "' is not a usable name (letters, digits, . _ - @ +, not starting with '.' or '-', not 'latest')");
    }
    return value;
  }
}
