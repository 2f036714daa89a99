package dev.lifeboat.runbook;

import java.util.regex.Pattern;

/**
 * The repository's one rule for set and source names: they become directory names, so one plain
 * path segment, and never {@code latest} (the pointer's name).
 */
public final class Names {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._@+-]*");

  private Names() {}

  /**
   * Returns {@code value} when it is a usable set or source name.
   *
   * @throws IllegalArgumentException saying what {@code what} must look like
   */
  /** A folder name's limit on Linux file systems: a longer set or source failed only at mkdir. */
  public static final int MAX_SEGMENT = 255;

  /** Why a name is too long to be a folder, or null. */
  public static String tooLong(String value, String what) {
    if (value.length() <= MAX_SEGMENT) {
      return null;
    }
    return what
        + " '"
        + value.substring(0, 40)
        + "...' is "
        + value.length()
        + " characters long; a folder name has at most "
        + MAX_SEGMENT;
  }

  public static String checkSegment(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is required");
    }
    String longer = tooLong(value, what);
    if (longer != null) {
      throw new IllegalArgumentException(longer);
    }
    if (!SEGMENT.matcher(value).matches() || value.equals("latest")) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' is not a usable name (letters, digits, . _ - @ +, not starting with '.' or '-', not 'latest')");
    }
    return value;
  }
}
