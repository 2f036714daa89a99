package dev.lifeboat.runbook;

import dev.lifeboat.runbook.Expressions.UnresolvedReference;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code ${...}} reference, parsed, and the one place its rules live: which roots exist and
 * what each needs ({@link #parse}), where a reference may be used (the loader asks {@link
 * #problem}) and what it gives in a {@link Scope} (the workflow, the plan preview and the parameter
 * checks call {@link #resolve}).
 *
 * <ul>
 *   <li>{@code params.<name>[.<path>]}: a declared parameter; an optional one not given is null,
 *       and so is everything below it.
 *   <li>{@code steps.<id>[.<path>]}: the output of an earlier step that succeeded.
 *   <li>{@code item[.<path>]}: the current element, only in a step with {@code forEach}.
 *   <li>{@code run.id}, {@code run.runbook}, {@code run.startedAt}.
 * </ul>
 */
public record Reference(String text, Root root, List<String> parts) {
  /** The first part of a reference: where its value comes from. */
  public enum Root {
    PARAMS,
    STEPS,
    ITEM,
    RUN
  }

  static final Set<String> RUN_FIELDS = Set.of("id", "startedAt", "runbook");

  /**
   * What is known where a reference is resolved: the runbook (its declared parameters and name),
   * the parameter values (an optional parameter not given is absent or null), the outputs of the
   * steps that have succeeded so far, the forEach element (null outside forEach) and the run's
   * {@code id} and {@code startedAt}.
   */
  public record Scope(
      Runbook runbook,
      Map<String, ?> params,
      Map<String, ?> outputs,
      Object item,
      Map<String, ?> run) {}

  public Reference {
    parts = List.copyOf(parts);
  }

  /**
   * Parses the text between the braces ({@code steps.backup.path}).
   *
   * @throws UnresolvedReference saying what is wrong with it: an unknown root, a parameter or step
   *     not named, an unknown run field
   */
  public static Reference parse(String text) {
    List<String> parts = List.of(text.split("\\."));
    Root root =
        switch (parts.get(0)) {
          case "params" -> Root.PARAMS;
          case "steps" -> Root.STEPS;
          case "item" -> Root.ITEM;
          case "run" -> Root.RUN;
          default ->
              throw new UnresolvedReference(
                  text, "references start with params., steps., item or run.");
        };
    String why =
        switch (root) {
          case PARAMS -> parts.size() < 2 ? "say which parameter, e.g. ${params.path}" : null;
          case STEPS -> parts.size() < 2 ? "say which step, e.g. ${steps.backup.path}" : null;
          case RUN ->
              parts.size() != 2 || !RUN_FIELDS.contains(parts.get(1))
                  ? "known run fields are run.id, run.runbook and run.startedAt"
                  : null;
          case ITEM -> null;
        };
    if (why != null) {
      throw new UnresolvedReference(text, why);
    }
    return new Reference(text, root, parts);
  }

  /** The reference {@code text} parses to, or empty when it is not a reference. */
  public static Optional<Reference> tryParse(String text) {
    try {
      return Optional.of(parse(text));
    } catch (UnresolvedReference e) {
      return Optional.empty();
    }
  }

  /** Resolves every reference inside {@code value} (see {@link Expressions#resolve}). */
  public static Object resolveAll(Object value, Scope scope) {
    return Expressions.resolve(value, text -> parse(text).resolve(scope));
  }

  /** The parameter, step or run field named; null for {@code item}. */
  public String name() {
    return root == Root.ITEM ? null : parts.get(1);
  }

  /** Whether the value is known before a run starts: a parameter or the runbook's name. */
  public boolean knownBeforeStart() {
    return root == Root.PARAMS || root == Root.RUN && name().equals("runbook");
  }

  /**
   * Why this reference cannot be used in step {@code stepId}, or empty when it can.
   *
   * @param params the parameters the runbook declares
   * @param earlier the steps that run before this one
   * @param allIds every step id of the runbook
   * @param inForEach whether the step (or the step it is a finally of) has {@code forEach}
   */
  Optional<String> problem(
      Collection<String> params,
      Collection<String> earlier,
      Collection<String> allIds,
      String stepId,
      boolean inForEach) {
    String name = name();
    return Optional.ofNullable(
        switch (root) {
          case PARAMS -> params.contains(name) ? null : "there is no parameter '" + name + "'";
          case STEPS ->
              earlier.contains(name)
                  ? null
                  : allIds.contains(name) && !name.equals(stepId)
                      ? "step '"
                          + name
                          + "' runs later; a step can only use outputs of steps before it"
                      : "there is no earlier step '" + name + "'";
          case ITEM -> inForEach ? null : "${item} is only available in a step with 'forEach'";
          case RUN -> null;
        });
  }

  /**
   * The value this reference has in {@code scope}.
   *
   * @throws UnresolvedReference when it has none: an undeclared parameter, a step without output, a
   *     path part that is not there
   */
  public Object resolve(Scope scope) {
    return switch (root) {
      case PARAMS -> {
        if (scope.runbook().params().stream().noneMatch(p -> p.name().equals(name()))) {
          throw new UnresolvedReference(text, "no such parameter");
        }
        Object v = scope.params().get(name());
        yield v == null ? null : walk(v, 2);
      }
      case STEPS -> {
        if (!scope.outputs().containsKey(name())) {
          throw new UnresolvedReference(
              text, "step '" + name() + "' has no output (it did not succeed)");
        }
        yield walk(scope.outputs().get(name()), 2);
      }
      case ITEM -> walk(scope.item(), 1);
      case RUN -> {
        if (name().equals("runbook")) {
          yield scope.runbook().name();
        }
        if (!scope.run().containsKey(name())) {
          throw new UnresolvedReference(text, "known only while the run runs");
        }
        yield scope.run().get(name());
      }
    };
  }

  /** Follows the parts from {@code from} into nested maps and lists. */
  private Object walk(Object root, int from) {
    Object cur = root;
    for (String part : parts.subList(from, parts.size())) {
      if (cur instanceof Map<?, ?> m && m.containsKey(part)) {
        cur = m.get(part);
      } else if (cur instanceof List<?> l
          && part.matches("\\d{1,9}")
          && Integer.parseInt(part) < l.size()) {
        cur = l.get(Integer.parseInt(part));
      } else {
        throw new UnresolvedReference(text, "'" + part + "' is not there");
      }
    }
    return cur;
  }

  @Override
  public String toString() {
    return "${" + text + "}";
  }
}
