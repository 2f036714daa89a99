package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Repository;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Names inside the repository layout {@code <repository>/<set>/<source>/<timestamp>.tar.gz},
 * checked.
 */
final class RepositoryPaths {
  /**
   * An archive's timestamp stem: it goes into rclone {@code --include} filters, so nothing they
   * treat specially.
   */
  private static final Pattern ARCHIVE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private RepositoryPaths() {}

  /** A set or source name, by the repository's own rule (the one rule for these names). */
  static String segment(String action, String what, String value) {
    try {
      return Repository.checkName(value, what);
    } catch (ActionException e) {
      throw ActionException.invalid(action + ": " + e.getMessage());
    }
  }

  /** An archive name (timestamp without suffix): one path segment, no {@code ..}. */
  static String archive(String action, String what, String value) {
    if (value == null || !ARCHIVE.matcher(value).matches() || value.contains("..")) {
      throw ActionException.invalid(
          action
              + ": "
              + what
              + " '"
              + value
              + "' is not a valid archive name (like "
              + "20250101T020000Z)");
    }
    return value;
  }

  static Path repository(String override, OffsiteConfig config) {
    return override == null || override.isBlank() ? config.repository() : Path.of(override);
  }

  /**
   * The archive's timestamp from a name such as {@code 20250101T020000Z.tar.gz} or a {@code latest}
   * file's text.
   */
  static String timestamp(String name) {
    String t = name.trim();
    for (String suffix : new String[] {".manifest.json", ".tar.gz", ".tar.zst", ".tgz"}) {
      if (t.endsWith(suffix)) {
        return t.substring(0, t.length() - suffix.length());
      }
    }
    return t;
  }
}
