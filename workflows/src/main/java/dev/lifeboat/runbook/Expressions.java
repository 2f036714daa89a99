package dev.lifeboat.runbook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ${...}} references in step arguments. A value that is exactly one reference keeps the
 * referenced value's type (a list stays a list); references inside longer text are interpolated.
 */
public final class Expressions {
  private static final Pattern REF = Pattern.compile("\\$\\{([^}]*)}");

  private Expressions() {}

  /** Every reference path (the text between the braces) found anywhere inside {@code value}. */
  public static List<String> references(Object value) {
    List<String> out = new ArrayList<>();
    collect(value, out);
    return out;
  }

  private static void collect(Object value, List<String> out) {
    if (value instanceof String s) {
      Matcher m = REF.matcher(s);
      while (m.find()) {
        out.add(m.group(1).trim());
      }
    } else if (value instanceof Map<?, ?> map) {
      map.values().forEach(v -> collect(v, out));
    } else if (value instanceof List<?> list) {
      list.forEach(v -> collect(v, out));
    }
  }

  /**
   * Replaces every reference using {@code lookup}, which answers a reference path or throws {@link
   * UnresolvedReference}.
   */
  public static Object resolve(Object value, Function<String, Object> lookup) {
    if (value instanceof String s) {
      Matcher whole = REF.matcher(s);
      if (whole.matches()) {
        return lookup.apply(whole.group(1).trim());
      }
      Matcher m = REF.matcher(s);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        Object v = lookup.apply(m.group(1).trim());
        m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : String.valueOf(v)));
      }
      m.appendTail(sb);
      return sb.toString();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), resolve(v, lookup)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(resolve(v, lookup)));
      return out;
    }
    return value;
  }

  /** A reference that has no value when the step runs. */
  public static final class UnresolvedReference extends RuntimeException {
    private final String path;
    private final String why;

    public UnresolvedReference(String path, String why) {
      super("${" + path + "} cannot be resolved: " + why);
      this.path = path;
      this.why = why;
    }

    public String path() {
      return path;
    }

    /** What is wrong, without the reference. */
    public String why() {
      return why;
    }
  }
}
