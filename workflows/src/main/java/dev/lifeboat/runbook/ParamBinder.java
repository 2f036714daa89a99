package dev.lifeboat.runbook;

import java.util.LinkedHashMap;
import java.util.Map;

/** Checks the parameters a caller gives against a runbook's declaration and fills in defaults. */
public final class ParamBinder {
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
        throw new InvalidParam(name, "runbook '" + runbook.name() + "' has no such parameter (it takes: "
            + String.join(", ", declared.keySet()) + ")");
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Param p : declared.values()) {
      Object v = in.get(p.name());
      if (v == null || (v instanceof String s && s.isBlank() && p.type() != ParamType.STRING)) {
        if (p.required()) {
          throw new InvalidParam(p.name(), "is required"
              + (p.description().isBlank() ? "" : " (" + p.description() + ")"));
        }
        if (p.defaultValue() != null) {
          out.put(p.name(), p.defaultValue());
        }
        continue;
      }
      if (p.required() && v instanceof String s && s.isBlank()) {
        throw new InvalidParam(p.name(), "is required and must not be empty");
      }
      try {
        out.put(p.name(), p.type().coerce(v));
      } catch (IllegalArgumentException e) {
        throw new InvalidParam(p.name(), e.getMessage());
      }
    }
    return out;
  }
}
