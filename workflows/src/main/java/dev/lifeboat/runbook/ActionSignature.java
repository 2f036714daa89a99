package dev.lifeboat.runbook;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What an action accepts, used to validate runbooks when they load. */
public record ActionSignature(String name, String description, Map<String, ArgSpec> args) {
  public ActionSignature {
    args = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(args));
  }

  public static ActionSignature of(String name, String description, List<ArgSpec> args) {
    Map<String, ArgSpec> m = new LinkedHashMap<>();
    args.forEach(a -> m.put(a.name(), a));
    return new ActionSignature(name, description, m);
  }
}
