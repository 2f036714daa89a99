package dev.lifeboat.api.auth;

/**
 * What a token may do: {@code admin} everything, {@code read} look but not act or download file
 * contents.
 */
public enum Role {
  ADMIN,
  READ;

  static Role parse(String text, String where) {
    return switch (text.trim()) {
      case "admin" -> ADMIN;
      case "read" -> READ;
      default ->
          throw new IllegalArgumentException(
              where + ": role must be 'admin' or 'read', not '" + text.trim() + "'");
    };
  }
}
