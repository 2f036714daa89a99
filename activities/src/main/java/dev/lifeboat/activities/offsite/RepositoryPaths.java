package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.ActionException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Names inside the repository layout {@code <repository>/<set>/<source>/<timestamp>.tar.gz}, checked. */
final class RepositoryPaths {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private RepositoryPaths() {}

  /** A set, source or archive name: one path segment, no {@code ..}, nothing rclone filters treat specially. */
  static String segment(String action, String what, String value) {
    if (value == null || !SEGMENT.matcher(value).matches() || value.contains("..")) {
      throw ActionException.invalid(action + ": " + what + " '" + value + "' is not a valid name (letters, digits, . _ -)");
    }
    return value;
  }

  static Path repository(String override, OffsiteConfig config) {
    return override == null || override.isBlank() ? config.repository() : Path.of(override);
  }

  /** The archive's timestamp from a name such as {@code 20250101T020000Z.tar.gz} or a {@code latest} file's text. */
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
