package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
   * Where a fetch may write: the configured repository (the default), or a folder that is one of
   * the archive roots or inside one (LIFEBOAT_ARCHIVE_ROOTS), links resolved. Anywhere else the
   * fetched archive could not be restored from, and Lifeboat (often root) would have written files
   * into a folder nobody chose for archives.
   */
  static Path fetchTarget(
      String action, String override, OffsiteConfig config, List<Path> archiveRoots) {
    if (override == null || override.isBlank()) {
      return config.repository();
    }
    Path into = Path.of(override);
    if (!into.isAbsolute()) {
      throw ActionException.invalid(action + ": into '" + override + "' must be an absolute path");
    }
    Path wanted = resolved(into);
    List<Path> allowed = new ArrayList<>();
    allowed.add(config.repository());
    allowed.addAll(archiveRoots);
    for (Path root : allowed) {
      if (wanted.startsWith(resolved(root))) {
        return into.normalize();
      }
    }
    throw ActionException.invalid(
        action
            + ": into "
            + into
            + (wanted.equals(into.normalize()) ? "" : " (really " + wanted + ")")
            + " is neither the repository "
            + config.repository()
            + " nor inside "
            + (archiveRoots.isEmpty()
                ? "an archive root (none are configured)"
                : "one of the archive roots " + archiveRoots)
            + "; fetch into one of them or add the folder's drive to LIFEBOAT_ARCHIVE_ROOTS");
  }

  /** The path with links resolved as far as it exists; the rest (not there yet) as given. */
  private static Path resolved(Path path) {
    Path p = path.toAbsolutePath().normalize();
    Path existing = p;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return p;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(p));
    } catch (IOException e) {
      return p;
    }
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
