package dev.lifeboat.runbook;

import java.util.List;

/**
 * One argument an action accepts; {@code type} is a short label used in error messages ("duration"
 * for a text such as 30d). The constraints are declared once on the action's argument record and
 * checked by {@link ArgRules} on load (literal values) and before a run starts (parameter values).
 *
 * @param positive an integer above 0, or a duration longer than 0
 * @param min the smallest integer allowed, null for none
 * @param max the largest integer allowed, null for none (an {@code int} argument's is its type's)
 * @param pattern a regular expression the whole text must match (every key, for a map), null for
 *     none
 * @param oneOf the only texts allowed, empty for any
 * @param needs other arguments this one is only meaningful with (a drill's {@code source} needs its
 *     {@code set}), empty for none
 */
public record ArgSpec(
    String name,
    String type,
    boolean required,
    String description,
    boolean positive,
    Long min,
    Long max,
    String pattern,
    List<String> oneOf,
    List<String> needs) {

  public ArgSpec {
    oneOf = oneOf == null ? List.of() : List.copyOf(oneOf);
    needs = needs == null ? List.of() : List.copyOf(needs);
    pattern = pattern == null || pattern.isEmpty() ? null : pattern;
  }

  public ArgSpec(
      String name,
      String type,
      boolean required,
      String description,
      boolean positive,
      Long min,
      Long max,
      String pattern,
      List<String> oneOf) {
    this(name, type, required, description, positive, min, max, pattern, oneOf, List.of());
  }

  public ArgSpec(String name, String type, boolean required, String description) {
    this(name, type, required, description, false, null, null, null, List.of(), List.of());
  }
}
