package dev.lifeboat.runbook;

import java.util.List;

/**
 * A typed runbook parameter. {@code defaultValue} is null when there is none. {@code under} (for a
 * {@code path}) lists the roots the path must lie in; {@code allowed} (for a {@code program}) lists
 * the only values a caller may choose. {@code min} and {@code max} (for an {@code integer}) bound
 * it, null for no bound. All are written by the runbook author, whom we trust.
 */
public record Param(
    String name,
    ParamType type,
    Object defaultValue,
    boolean required,
    String description,
    List<String> under,
    List<String> allowed,
    Long min,
    Long max) {
  public Param {
    description = description == null ? "" : description;
    under = under == null ? List.of() : List.copyOf(under);
    allowed = allowed == null ? List.of() : List.copyOf(allowed);
  }

  public Param(
      String name, ParamType type, Object defaultValue, boolean required, String description) {
    this(name, type, defaultValue, required, description, List.of(), List.of(), null, null);
  }

  /**
   * Converts a given value to this parameter's type and checks the author's constraints.
   *
   * @throws IllegalArgumentException naming what is wrong with the value
   */
  public Object accept(Object value) {
    Object v = type.coerce(value);
    if (type == ParamType.PATH && !under.isEmpty()) {
      java.nio.file.Path p = java.nio.file.Path.of((String) v);
      if (under.stream().noneMatch(root -> p.startsWith(java.nio.file.Path.of(root)))) {
        throw new IllegalArgumentException(
            "'" + v + "' is not under " + String.join(" or ", under));
      }
    }
    if (type == ParamType.PROGRAM && !allowed.contains(v)) {
      throw new IllegalArgumentException(
          "'" + v + "' is not one of the allowed programs: " + String.join(", ", allowed));
    }
    if (v instanceof Long l) {
      ArgRules.outOfRange(l, min, max)
          .ifPresent(
              why -> {
                throw new IllegalArgumentException(why);
              });
    }
    return v;
  }
}
