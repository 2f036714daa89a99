package dev.lifeboat.runbook;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The closed set of parameter types a runbook may declare. */
public enum ParamType {
  STRING, INTEGER, BOOLEAN, DURATION, LIST, MAP;

  public static ParamType parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown parameter type '" + text + "' (expected one of string, integer, boolean, duration, list, map)");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Converts a value given by a caller (JSON or YAML) to this type.
   *
   * @throws IllegalArgumentException naming what is wrong with the value
   */
  public Object coerce(Object value) {
    switch (this) {
      case STRING:
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
          return value.toString();
        }
        break;
      case INTEGER:
        if (value instanceof Integer || value instanceof Long) {
          return ((Number) value).longValue();
        }
        if (value instanceof String s) {
          try {
            return Long.parseLong(s.trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not an integer");
          }
        }
        break;
      case BOOLEAN:
        if (value instanceof Boolean) {
          return value;
        }
        if (value instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
          return Boolean.parseBoolean(s);
        }
        break;
      case DURATION:
        if (value instanceof String s) {
          Durations.parse(s);
          return s;
        }
        break;
      case LIST:
        if (value instanceof List<?> l) {
          return List.copyOf(l);
        }
        if (value instanceof String s) {
          return s.isBlank() ? List.of() : List.of(s.split("\\s*,\\s*"));
        }
        break;
      case MAP:
        if (value instanceof Map<?, ?> m) {
          return Map.copyOf(m);
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException(
        "expected " + (this == INTEGER ? "an " : "a ") + label() + " but got " + describe(value));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "nothing";
    }
    if (value instanceof Map) {
      return "an object";
    }
    if (value instanceof List) {
      return "a list";
    }
    return "'" + value + "'";
  }
}
