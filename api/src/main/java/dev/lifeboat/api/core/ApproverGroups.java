package dev.lifeboat.api.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who belongs to which approver group: the configuration's {@code approvers} map (group to
 * comma-separated caller names) plus environment variables {@code LIFEBOAT_APPROVERS_<GROUP>=a,b}.
 * A caller's name is its token's name, or {@code local} when no tokens are configured.
 */
public final class ApproverGroups {
  static final String ENV_PREFIX = "LIFEBOAT_APPROVERS_";
  private final Map<String, Set<String>> members = new LinkedHashMap<>();

  public ApproverGroups(Map<String, String> configured, Map<String, String> env) {
    configured.forEach(this::add);
    env.forEach(
        (k, v) -> {
          if (k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length()) {
            add(k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT), v);
          }
        });
  }

  public static ApproverGroups none() {
    return new ApproverGroups(Map.of(), Map.of());
  }

  private void add(String group, String names) {
    Set<String> set = members.computeIfAbsent(group, g -> new LinkedHashSet<>());
    for (String n : (names == null ? "" : names).split(",")) {
      if (!n.isBlank()) {
        set.add(n.trim());
      }
    }
  }

  /** The groups {@code name} belongs to. */
  public List<String> groupsOf(String name) {
    List<String> out = new ArrayList<>();
    members.forEach(
        (g, names) -> {
          if (names.contains(name)) {
            out.add(g);
          }
        });
    return out;
  }
}
