package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** How archives and their sidecars are named inside {@code <repository>/<set>/<source>/}. */
final class ArchiveNames {
  static final String ARCHIVE_SUFFIX = ".tar.gz";
  static final String MANIFEST_SUFFIX = ".manifest.json";
  static final String VERIFIED_SUFFIX = ".verified.json";
  static final String STATE_SUFFIX = ".state.json";
  static final String LOCK = ".lock";
  static final String PIN_SUFFIX = ".pin";
  static final String DRILL_SUFFIX = ".drill.json";
  static final String LAST_PASSED_DRILL = "last-passed-drill.json";
  static final String PARTIAL_SUFFIX = ".partial";
  static final String LATEST = "latest";

  static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern ARCHIVE = Pattern.compile("\\d{8}T\\d{6}Z\\.tar\\.gz");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._@+-]*");

  private ArchiveNames() {}

  static boolean isArchive(String fileName) {
    return ARCHIVE.matcher(fileName).matches();
  }

  static String stem(String archiveName) {
    return archiveName.endsWith(ARCHIVE_SUFFIX)
        ? archiveName.substring(0, archiveName.length() - ARCHIVE_SUFFIX.length())
        : archiveName;
  }

  static String archiveName(Instant at) {
    return STAMP.format(at) + ARCHIVE_SUFFIX;
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
