package dev.lifeboat.runbook;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one check of a value against an action argument's constraints ({@link ArgSpec}). The loader
 * uses it for literal step arguments, the API for parameter values before a run starts, so a {@code
 * keepWithin: 0s} is refused before any backup runs rather than by the last step.
 */
public final class ArgRules {
  private ArgRules() {}

  /**
   * What is wrong with {@code value} for {@code spec}, or empty when it is fine or not known yet.
   */
  public static Optional<String> problem(ArgSpec spec, Object value) {
    if (value == null || (value instanceof String s && s.contains("${"))) {
      return Optional.empty();
    }
    if (spec.pattern() != null && value instanceof List<?> list) {
      // each literal item now; those with references when their values are known
      for (Object item : list) {
        Optional<String> why = problem(spec, item);
        if (why.isPresent()) {
          return why;
        }
      }
      return Optional.empty();
    }
    return check(spec, value);
  }

  /** The check itself, for a value that is final: a parameter's "${" is data, not a reference. */
  private static Optional<String> check(ArgSpec spec, Object value) {
    if ("duration".equals(spec.type())) {
      Duration d;
      try {
        d = Durations.parse(String.valueOf(value));
      } catch (IllegalArgumentException e) {
        return Optional.of(e.getMessage());
      }
      if (spec.positive() && (d.isZero() || d.isNegative())) {
        return Optional.of("'" + value + "' must be a duration longer than 0 (e.g. 30d)");
      }
    }
    if ("integer".equals(spec.type())) {
      Long n =
          value instanceof Integer || value instanceof Long || value instanceof Short
              ? Long.valueOf(((Number) value).longValue())
              : parseLong(String.valueOf(value));
      if (n == null) {
        return Optional.of(
            isDigits(String.valueOf(value))
                ? "'"
                    + value
                    + "' is too large"
                    + (spec.max() == null ? "" : " (at most " + spec.max() + ")")
                : "'" + value + "' is not a whole number");
      }
      if (spec.positive() && n <= 0) {
        return Optional.of("must be at least 1, got " + n);
      }
      Optional<String> range = outOfRange(n, spec.min(), spec.max());
      if (range.isPresent()) {
        return range;
      }
    }
    if (spec.pattern() != null && value instanceof Map<?, ?> map) {
      // a map's pattern is its keys' (extra variables: names only, none of the tool's own)
      Pattern keys = Pattern.compile(spec.pattern());
      for (Object key : map.keySet()) {
        if (!keys.matcher(String.valueOf(key)).matches()) {
          return Optional.of(
              "key '"
                  + key
                  + "' is not valid for '"
                  + spec.name()
                  + "', which takes "
                  + spec.description());
        }
      }
      return Optional.empty();
    }
    if (spec.pattern() != null && value instanceof List<?> list) {
      // a list's pattern is its items'
      for (Object item : list) {
        Optional<String> why = check(spec, item);
        if (why.isPresent()) {
          return why;
        }
      }
      return Optional.empty();
    }
    if (spec.pattern() != null
        && !Pattern.compile(spec.pattern()).matcher(String.valueOf(value)).matches()) {
      // the description says what is wanted in words; the expression only where there is none
      return Optional.of(
          spec.description() == null || spec.description().isBlank()
              ? "'" + value + "' does not match " + spec.pattern()
              : "'"
                  + value
                  + "' is not valid for '"
                  + spec.name()
                  + "', which takes "
                  + spec.description());
    }
    if (!spec.oneOf().isEmpty() && !spec.oneOf().contains(String.valueOf(value))) {
      return Optional.of("'" + value + "' is not one of " + String.join(", ", spec.oneOf()));
    }
    return Optional.empty();
  }

  /**
   * Why a whole number is outside {@code [min, max]} (either null for no bound), empty if it is
   * inside: one wording for action arguments and runbook parameters.
   */
  static Optional<String> outOfRange(long n, Long min, Long max) {
    if (min != null && n < min) {
      return Optional.of("must be at least " + min + ", got " + n);
    }
    if (max != null && n > max) {
      return Optional.of("must be at most " + max + ", got " + n);
    }
    return Optional.empty();
  }

  private static boolean isDigits(String s) {
    return s.trim().matches("[-+]?\\d+");
  }

  private static Long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Checks every step argument that parameters flow into ({@code ${params.x}} alone or inside a
   * text) with the bound parameter values; arguments that also need step outputs are known only
   * when the step runs and are left to the action.
   *
   * @throws ParamBinder.InvalidParam naming the first parameter whose value an argument refuses
   */
  public static void checkParams(
      Runbook runbook, Map<String, ActionSignature> actions, Map<String, Object> bound) {
    checkParams(runbook, actions, bound, Map.of());
  }

  /**
   * As {@link #checkParams(Runbook, Map, Map)}, and also: a {@code forEach} over a parameter's list
   * runs each item through the arguments its {@code ${item...}} references flow into (an item
   * without a field a step uses, or whose field an argument refuses, is refused naming the
   * parameter and the item: {@code releases[0]: ...}); an argument that {@link ArgSpec#needs}
   * another one gets it; and a child runbook ({@code action: runbook}) found in {@code library}
   * binds and checks the parameters it is given, so a value it would refuse is refused before the
   * parent starts, naming the parent's parameter.
   *
   * @param library runbooks a step may run as a child, by name (empty: children are not checked)
   */
  public static void checkParams(
      Runbook runbook,
      Map<String, ActionSignature> actions,
      Map<String, Object> bound,
      Map<String, Runbook> library) {
    new Checker(actions, library).check(runbook, bound, java.util.Set.of(), 0);
  }

  /** The current forEach element when a step's list is a parameter's: where it came from. */
  private record Item(String param, int index, Object value) {
    String label() {
      return param + "[" + index + "]: ";
    }
  }

  /** Child runbooks nest; a runbook that runs itself must not make the check run forever. */
  private static final int MAX_DEPTH = 8;

  private record Checker(Map<String, ActionSignature> actions, Map<String, Runbook> library) {
    /**
     * @param unknown parameters whose values come from step outputs (a child's), so not known yet
     */
    void check(
        Runbook runbook, Map<String, Object> bound, java.util.Set<String> unknown, int depth) {
      for (Step step : runbook.steps()) {
        List<Item> items = items(step, bound, unknown);
        checkStep(runbook, step, bound, unknown, items, depth);
        for (Step f : step.finallySteps()) {
          checkStep(runbook, f, bound, unknown, items, depth);
        }
      }
      for (Step f : runbook.finallySteps()) {
        checkStep(runbook, f, bound, unknown, null, depth);
      }
    }

    /**
     * The items of a {@code forEach: ${params.x}}; null when the step has none or they are not
     * known.
     */
    private static List<Item> items(
        Step step, Map<String, Object> bound, java.util.Set<String> unknown) {
      if (step.forEach() == null) {
        return null;
      }
      List<String> refs = Expressions.references(step.forEach());
      if (refs.size() != 1 || !step.forEach().trim().equals("${" + refs.get(0) + "}")) {
        return null;
      }
      Reference ref = Reference.tryParse(refs.get(0)).orElse(null);
      if (ref == null
          || ref.root() != Reference.Root.PARAMS
          || ref.parts().size() != 2
          || unknown.contains(ref.name())
          || !(bound.get(ref.name()) instanceof List<?> list)) {
        return null;
      }
      List<Item> out = new java.util.ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        out.add(new Item(ref.name(), i, list.get(i)));
      }
      return out;
    }

    private void checkStep(
        Runbook runbook,
        Step step,
        Map<String, Object> bound,
        java.util.Set<String> unknown,
        List<Item> items,
        int depth) {
      ActionSignature sig = actions.get(step.action());
      if (sig == null) {
        return;
      }
      boolean usesItem =
          Expressions.references(step.with()).stream()
              .anyMatch(r -> r.equals("item") || r.startsWith("item."));
      List<Item> scopes = new java.util.ArrayList<>();
      if (usesItem && items != null) {
        scopes.addAll(items);
      } else if (!usesItem || items == null) {
        scopes.add(null);
      }
      for (Item item : scopes) {
        for (Map.Entry<String, Object> arg : step.with().entrySet()) {
          ArgSpec spec = sig.args().get(arg.getKey());
          if (spec == null
              || BuiltinActions.RUNBOOK.equals(step.action()) && arg.getKey().equals("params")) {
            continue;
          }
          Known v = known(runbook, step, arg.getValue(), bound, unknown, item);
          if (v == null) {
            continue;
          }
          if (v.value() == null) {
            if (spec.required() && item != null && v.usesItem()) {
              throw v.refused(step, sig.name() + "'s " + arg.getKey() + " needs a value");
            }
            continue;
          }
          Optional<String> why = ArgRules.check(spec, v.value());
          if (why.isPresent()) {
            throw v.refused(
                step,
                "step '"
                    + step.id()
                    + "' passes it to "
                    + step.action()
                    + "'s "
                    + arg.getKey()
                    + ": "
                    + why.get());
          }
        }
        needs(runbook, step, sig, bound, unknown, item);
        if (BuiltinActions.RUNBOOK.equals(step.action())) {
          child(runbook, step, bound, unknown, item, depth);
        }
      }
    }

    /** An argument with {@link ArgSpec#needs} whose needed arguments are missing. */
    private void needs(
        Runbook runbook,
        Step step,
        ActionSignature sig,
        Map<String, Object> bound,
        java.util.Set<String> unknown,
        Item item) {
      for (ArgSpec spec : sig.args().values()) {
        Object raw = step.with().get(spec.name());
        if (spec.needs().isEmpty() || raw == null) {
          continue;
        }
        Known v = known(runbook, step, raw, bound, unknown, item);
        if (v == null || v.value() == null) {
          continue;
        }
        for (String needed : spec.needs()) {
          Object rawNeeded = step.with().get(needed);
          Known n =
              rawNeeded == null ? null : known(runbook, step, rawNeeded, bound, unknown, item);
          boolean missing = rawNeeded == null || n != null && n.value() == null;
          if (!missing) {
            continue;
          }
          String hint =
              n != null && n.blame() != null ? " (give parameter '" + n.blame() + "')" : "";
          Known blamed = v.blame() != null ? v : n;
          if (blamed == null || blamed.blame() == null) {
            continue;
          }
          throw blamed.refused(
              step,
              "step '"
                  + step.id()
                  + "' passes it to "
                  + step.action()
                  + "'s "
                  + spec.name()
                  + ", which needs "
                  + needed
                  + " too"
                  + hint);
        }
      }
    }

    /** The parameters a child runbook step gives, bound and checked as the child's start would. */
    private void child(
        Runbook runbook,
        Step step,
        Map<String, Object> bound,
        java.util.Set<String> unknown,
        Item item,
        int depth) {
      Object name = step.with().get("name");
      Runbook child =
          name instanceof String n && !n.contains("${") ? library.get(n) : (Runbook) null;
      if (child == null || depth >= MAX_DEPTH) {
        return;
      }
      Map<String, Known> given = new LinkedHashMap<>();
      java.util.Set<String> childUnknown = new java.util.HashSet<>();
      if (step.with().get("params") instanceof Map<?, ?> params) {
        for (Map.Entry<?, ?> e : params.entrySet()) {
          String key = String.valueOf(e.getKey());
          Known v = known(runbook, step, e.getValue(), bound, unknown, item);
          if (v == null) {
            childUnknown.add(key);
          } else if (v.value() != null) {
            given.put(key, v);
          }
        }
      }
      Map<String, Object> childBound = new LinkedHashMap<>();
      for (Param p : child.params()) {
        Known v = given.get(p.name());
        if (v == null) {
          if (p.defaultValue() != null) {
            childBound.put(p.name(), p.defaultValue());
          }
          continue;
        }
        try {
          childBound.put(p.name(), p.accept(v.value()));
        } catch (IllegalArgumentException e) {
          if (v.blame() != null) {
            throw v.refused(
                step,
                "step '"
                    + step.id()
                    + "' passes it to runbook "
                    + child.name()
                    + "'s parameter '"
                    + p.name()
                    + "': "
                    + e.getMessage());
          }
        }
      }
      try {
        check(child, childBound, childUnknown, depth + 1);
      } catch (ParamBinder.InvalidParam e) {
        Known v = given.get(e.param());
        if (v != null && v.blame() != null) {
          throw v.refused(
              step,
              "step '" + step.id() + "' runs runbook " + child.name() + ": " + e.getMessage());
        }
      }
    }

    /**
     * {@code raw} resolved when every reference in it is known before the run starts; null when
     * some is not (a step output, a child's parameter fed from one) or it holds none (a literal,
     * checked on load).
     *
     * @throws ParamBinder.InvalidParam for an item without a field a reference asks for
     */
    private static Known known(
        Runbook runbook,
        Step step,
        Object raw,
        Map<String, Object> bound,
        java.util.Set<String> unknown,
        Item item) {
      List<String> refs = Expressions.references(raw);
      if (refs.isEmpty()) {
        return null;
      }
      List<Reference> parsed = new java.util.ArrayList<>();
      for (String r : refs) {
        Reference ref = Reference.tryParse(r).orElse(null);
        boolean knowable =
            ref != null
                && (ref.root() == Reference.Root.PARAMS && !unknown.contains(ref.name())
                    || ref.root() == Reference.Root.ITEM && item != null);
        if (!knowable) {
          return null;
        }
        parsed.add(ref);
      }
      boolean usesItem = parsed.stream().anyMatch(r -> r.root() == Reference.Root.ITEM);
      Reference.Scope scope =
          new Reference.Scope(
              runbook, bound, Map.of(), item == null ? null : item.value(), Map.of());
      Object value;
      try {
        value = Reference.resolveAll(raw, scope);
      } catch (Expressions.UnresolvedReference e) {
        if (item != null && (e.path().equals("item") || e.path().startsWith("item."))) {
          throw new ParamBinder.InvalidParam(
              item.param(),
              item.label()
                  + describe(item.value())
                  + " has no "
                  + e.path().substring("item.".length())
                  + ", which step '"
                  + step.id()
                  + "' uses (${"
                  + e.path()
                  + "})");
        }
        return null;
      }
      String blame;
      if (usesItem) {
        blame = item.param();
      } else {
        // the parameter with the longest value is the likeliest to make a name too long
        blame =
            parsed.stream()
                .map(Reference::name)
                .max(
                    java.util.Comparator.comparingInt(
                        n -> bound.get(n) == null ? -1 : String.valueOf(bound.get(n)).length()))
                .orElse(null);
      }
      return new Known(value, blame, usesItem ? item : null, usesItem);
    }

    private static String describe(Object value) {
      String s =
          value instanceof Map || value instanceof List ? String.valueOf(value) : "'" + value + "'";
      return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
  }

  /** A value known before the run, and the parameter (and item) it comes from. */
  private record Known(Object value, String blame, Item item, boolean usesItem) {
    ParamBinder.InvalidParam refused(Step step, String why) {
      return new ParamBinder.InvalidParam(blame, (item == null ? "" : item.label()) + why);
    }
  }
}
