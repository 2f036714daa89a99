package dev.lifeboat.runbook;

import java.util.LinkedHashMap;
import java.util.Map;

/** Checks the parameters a caller gives against a runbook's declaration and fills in defaults. */
public final class ParamBinder {
  /**
   * The largest parameter value: characters of a text, or of a list's or map's contents together.
   */
  public static final int MAX_VALUE_CHARS = 64 * 1024;

  private ParamBinder() {}

  /** A parameter value that cannot be used; names the parameter. */
  public static final class InvalidParam extends RuntimeException {
    private final String param;

    public InvalidParam(String param, String reason) {
      super("parameter '" + param + "': " + reason);
      this.param = param;
    }

    public String param() {
      return param;
    }
  }

  public static Map<String, Object> bind(Runbook runbook, Map<String, ?> given) {
    Map<String, ?> in = given == null ? Map.of() : given;
    Map<String, Param> declared = new LinkedHashMap<>();
    runbook.params().forEach(p -> declared.put(p.name(), p));
    for (String name : in.keySet()) {
      if (!declared.containsKey(name)) {
        throw new InvalidParam(
            name,
            "runbook '"
                + runbook.name()
                + "' has no such parameter (it takes: "
                + String.join(", ", declared.keySet())
                + ")");
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Param p : declared.values()) {
      Object v = in.get(p.name());
      if (v == null || (v instanceof String s && s.isBlank() && p.type() != ParamType.STRING)) {
        if (p.required()) {
          throw new InvalidParam(
              p.name(),
              "is required" + (p.description().isBlank() ? "" : " (" + p.description() + ")"));
        }
        if (p.defaultValue() != null) {
          out.put(p.name(), p.defaultValue());
        }
        continue;
      }
      if (p.required() && v instanceof String s && s.isBlank()) {
        throw new InvalidParam(p.name(), "is required and must not be empty");
      }
      if (size(v, 0) > MAX_VALUE_CHARS) {
        throw new InvalidParam(p.name(), "is larger than " + MAX_VALUE_CHARS / 1024 + " KiB");
      }
      try {
        out.put(p.name(), p.accept(v));
      } catch (IllegalArgumentException e) {
        throw new InvalidParam(p.name(), e.getMessage());
      }
    }
    return out;
  }

  /**
   * Roughly the JSON size of a value; stops counting once past the limit, so a huge value costs
   * little.
   */
  private static long size(Object v, long sofar) {
    if (sofar > MAX_VALUE_CHARS) {
      return sofar;
    }
    if (v instanceof Map<?, ?> m) {
      long n = sofar + 2;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        n = size(e.getValue(), size(e.getKey(), n + 2));
        if (n > MAX_VALUE_CHARS) {
          return n;
        }
      }
      return n;
    }
    if (v instanceof java.util.List<?> l) {
      long n = sofar + 2;
      for (Object o : l) {
        n = size(o, n + 1);
        if (n > MAX_VALUE_CHARS) {
          return n;
        }
      }
      return n;
    }
    return sofar + (v == null ? 4 : String.valueOf(v).length() + 2);
  }
}
