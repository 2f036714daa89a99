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
   * text) with the bound parameter values; arguments that also need step outputs or {@code ${item}}
   * are known only when the step runs and are left to the action.
   *
   * @throws ParamBinder.InvalidParam naming the first parameter whose value an argument refuses
   */
  public static void checkParams(
      Runbook runbook, Map<String, ActionSignature> actions, Map<String, Object> bound) {
    Reference.Scope beforeStart = new Reference.Scope(runbook, bound, Map.of(), null, Map.of());
    for (Step step : allSteps(runbook)) {
      ActionSignature sig = actions.get(step.action());
      if (sig == null) {
        continue;
      }
      for (Map.Entry<String, Object> arg : step.with().entrySet()) {
        ArgSpec spec = sig.args().get(arg.getKey());
        List<String> refs = Expressions.references(arg.getValue());
        if (spec == null
            || refs.isEmpty()
            || !refs.stream()
                .allMatch(
                    r ->
                        Reference.tryParse(r)
                            .filter(ref -> ref.root() == Reference.Root.PARAMS)
                            .isPresent())) {
          continue;
        }
        Object value;
        try {
          value = Reference.resolveAll(arg.getValue(), beforeStart);
        } catch (Expressions.UnresolvedReference e) {
          continue;
        }
        Optional<String> why = value == null ? Optional.empty() : check(spec, value);
        if (why.isPresent()) {
          String param = Reference.parse(refs.get(0)).name();
          throw new ParamBinder.InvalidParam(
              param,
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
    }
  }

  private static List<Step> allSteps(Runbook r) {
    Map<String, Step> all = new LinkedHashMap<>();
    for (Step s : r.steps()) {
      all.putIfAbsent(s.id(), s);
      s.finallySteps().forEach(f -> all.putIfAbsent(f.id(), f));
    }
    r.finallySteps().forEach(f -> all.putIfAbsent(f.id(), f));
    return List.copyOf(all.values());
  }
}
