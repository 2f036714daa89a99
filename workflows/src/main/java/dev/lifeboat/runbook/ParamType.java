package dev.lifeboat.runbook;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The closed set of parameter types a runbook may declare. Parameters come from callers we do not
 * trust, so the text types carry constraints: {@code url}, {@code path}, {@code name} (a Kubernetes
 * DNS-1123 label), {@code workload} ({@code <kind>/<name>}), {@code setname} (a set or source name,
 * the repository's rule) and {@code program} (checked against the runbook's {@code allowed} list by
 * {@link Param#accept}).
 */
public enum ParamType {
  STRING,
  INTEGER,
  BOOLEAN,
  DURATION,
  LIST,
  MAP,
  URL,
  PATH,
  NAME,
  WORKLOAD,
  SETNAME,
  PROGRAM;

  private static final java.util.Set<String> URL_SCHEMES =
      java.util.Set.of("https", "http", "ssh", "git", "file");

  public static ParamType parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown parameter type '"
              + text
              + "' (expected one of "
              + String.join(", ", java.util.Arrays.stream(values()).map(ParamType::label).toList())
              + ")");
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
    if (value instanceof String s) {
      wellFormed(s);
    } else if (value instanceof List<?> l) {
      l.stream().filter(String.class::isInstance).forEach(x -> wellFormed((String) x));
    }
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
        if (value instanceof String s
            && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
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
          for (int i = 0; i < l.size(); i++) {
            if (l.get(i) == null) {
              throw new IllegalArgumentException("item " + i + " of the list is null");
            }
          }
          return List.copyOf(l);
        }
        if (value instanceof String s) {
          return s.isBlank() ? List.of() : List.of(s.split("\\s*,\\s*"));
        }
        break;
      case MAP:
        if (value instanceof Map<?, ?> m) {
          for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getValue() == null) {
              throw new IllegalArgumentException("'" + e.getKey() + "' is null");
            }
          }
          return Map.copyOf(m);
        }
        break;
      case URL:
        if (value instanceof String s) {
          return url(s);
        }
        break;
      case PATH:
        if (value instanceof String s) {
          return path(s);
        }
        break;
      case NAME:
        if (value instanceof String s) {
          KubernetesNames.notLabel(s)
              .ifPresent(
                  why -> {
                    throw new IllegalArgumentException(why);
                  });
          return s;
        }
        break;
      case WORKLOAD:
        if (value instanceof String s) {
          KubernetesNames.workload(s);
          return s;
        }
        break;
      case SETNAME:
        if (value instanceof String s) {
          return Names.checkSegment(s, "the name");
        }
        break;
      case PROGRAM:
        if (value instanceof String s) {
          noControl(s);
          return s;
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException(
        "expected " + (this == INTEGER ? "an " : "a ") + label() + " but got " + describe(value));
  }

  private static String url(String s) {
    noControl(s);
    if (s.startsWith("-") || s.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a URL (no spaces, must not start with '-')");
    }
    java.net.URI uri;
    try {
      uri = new java.net.URI(s);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("'" + s + "' is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!URL_SCHEMES.contains(scheme)) {
      throw new IllegalArgumentException(
          "'"
              + s
              + "' must be a URL starting with one of "
              + String.join(", ", URL_SCHEMES.stream().sorted().map(x -> x + "://").toList()));
    }
    return s;
  }

  private static String path(String s) {
    noControl(s);
    if (!s.startsWith("/")) {
      throw new IllegalArgumentException("'" + s + "' must be an absolute path (starting with /)");
    }
    if (s.contains("//")) {
      throw new IllegalArgumentException("'" + s + "' is not a normalised path (no '//')");
    }
    for (String part : s.substring(1).split("/", -1)) {
      if (part.equals("..")
          || part.equals(".")
          || (part.isEmpty() && !s.equals("/") && !s.endsWith("/"))) {
        throw new IllegalArgumentException(
            "'" + s + "' is not a normalised path (no '.', '..' or '//')");
      }
    }
    if (s.length() > 1 && s.endsWith("/")) {
      throw new IllegalArgumentException("'" + s + "' is not a normalised path (no trailing '/')");
    }
    // what the kernel takes: found here, not when the step opens it
    String start = s.length() > 60 ? s.substring(0, 60) + "..." : s;
    if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException(
          "'" + start + "' is longer than a path can be (" + MAX_PATH_BYTES + " bytes)");
    }
    for (String part : s.substring(1).split("/")) {
      if (part.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Names.MAX_SEGMENT) {
        throw new IllegalArgumentException(
            "'"
                + start
                + "' has a folder or file name longer than "
                + Names.MAX_SEGMENT
                + " bytes");
      }
    }
    return s;
  }

  /** Linux's PATH_MAX less its terminating NUL. */
  static final int MAX_PATH_BYTES = 4095;

  /** NUL, newlines and other control characters have no place in a URL, path, name or program. */
  /**
   * Text that is Unicode: JSON can spell half of a surrogate pair ("\\ud800"), which no file name,
   * command line or YAML value can hold.
   */
  private static void wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException(
            String.format(
                "the value is not Unicode text: it holds half of a surrogate pair (\\u%04x) at"
                    + " character %d",
                (int) c, i + 1));
      }
    }
  }

  private static void noControl(String s) {
    if (s.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("the value holds a control character (NUL, newline, ...)");
    }
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
