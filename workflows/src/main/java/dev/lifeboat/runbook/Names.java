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
  public static String checkSegment(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is required");
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
