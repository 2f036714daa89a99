package dev.lifeboat.runbook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A typed runbook parameter. {@code defaultValue} is null when there is none. {@code under} (for a
 * {@code path}) lists the roots the path must lie in; {@code allowed} (for a {@code program}) lists
 * the only values a caller may choose. {@code min} and {@code max} (for an {@code integer}) bound
 * it, null for no bound. {@code pattern} (for a {@code string}) is a regular expression the whole
 * text must match, null for none. {@code items} (for a {@code list}) declares every item, null for
 * items of any kind; {@code fields} (for a {@code map}, such as a list's items) declares its keys,
 * empty for any. All are written by the runbook author, whom we trust.
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
    Long max,
    String pattern,
    Param items,
    List<Param> fields) {
  public Param {
    description = description == null ? "" : description;
    under = under == null ? List.of() : List.copyOf(under);
    allowed = allowed == null ? List.of() : List.copyOf(allowed);
    fields = fields == null ? List.of() : List.copyOf(fields);
  }

  public Param(
      String name,
      ParamType type,
      Object defaultValue,
      boolean required,
      String description,
      List<String> under,
      List<String> allowed,
      Long min,
      Long max) {
    this(
        name,
        type,
        defaultValue,
        required,
        description,
        under,
        allowed,
        min,
        max,
        null,
        null,
        null);
  }

  public Param(
      String name, ParamType type, Object defaultValue, boolean required, String description) {
    this(name, type, defaultValue, required, description, List.of(), List.of(), null, null);
  }

  /**
   * Converts a given value to this parameter's type and checks the author's constraints; a list's
   * items and a map's fields are checked the same way, each by its own declaration.
   *
   * @throws IllegalArgumentException naming what is wrong with the value (for an item or a field,
   *     where it is: {@code releases[0].name: ...})
   */
  public Object accept(Object value) {
    if (!fields.isEmpty() && !(value instanceof Map)) {
      throw new IllegalArgumentException(
          "expected an object with "
              + String.join(", ", fields.stream().map(Param::name).toList())
              + " but got "
              + (value instanceof List ? "a list" : "'" + value + "'"));
    }
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
    if (pattern != null && v instanceof String s && !s.matches(pattern)) {
      throw new IllegalArgumentException(
          "'"
              + s
              + "' is not valid"
              + (description.isBlank() ? " (it must match " + pattern + ")" : ": " + description));
    }
    if (items != null && v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        try {
          out.add(items.accept(list.get(i)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(name + "[" + i + "]" + where(e.getMessage()), e);
        }
      }
      return List.copyOf(out);
    }
    if (!fields.isEmpty() && v instanceof Map<?, ?> map) {
      return acceptFields(map);
    }
    return v;
  }

  /** A field's own complaint starts with its name ("name: ..."), anything else after ": ". */
  private static String where(String message) {
    return message.startsWith(".") ? message : ": " + message;
  }

  private Map<String, Object> acceptFields(Map<?, ?> map) {
    List<String> known = fields.stream().map(Param::name).toList();
    for (Object key : map.keySet()) {
      if (!known.contains(String.valueOf(key))) {
        throw new IllegalArgumentException(
            "has no field '" + key + "' (it takes " + String.join(", ", known) + ")");
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Param f : fields) {
      Object given = map.get(f.name());
      if (given == null || given instanceof String s && s.isBlank()) {
        if (f.required()) {
          throw new IllegalArgumentException(
              "needs '"
                  + f.name()
                  + "'"
                  + (f.description().isBlank() ? "" : " (" + f.description() + ")")
                  + " and has none");
        }
        if (f.defaultValue() != null) {
          out.put(f.name(), f.defaultValue());
        }
        continue;
      }
      try {
        out.put(f.name(), f.accept(given));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("." + f.name() + where(e.getMessage()), e);
      }
    }
    return out;
  }
}
