package dev.lifeboat.activities.action;

import dev.lifeboat.runbook.ActionSignature;
import dev.lifeboat.runbook.ArgSpec;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The actions a worker can run, by name, and the signatures the runbook loader validates against.
 */
public final class ActionRegistry {
  private final Map<String, Action<?>> actions = new LinkedHashMap<>();

  public ActionRegistry register(Action<?> action) {
    if (actions.putIfAbsent(action.name(), action) != null) {
      throw new IllegalStateException("two actions are named '" + action.name() + "'");
    }
    return this;
  }

  public Optional<Action<?>> find(String name) {
    return Optional.ofNullable(actions.get(name));
  }

  public Collection<Action<?>> all() {
    return actions.values();
  }

  public List<ActionSignature> signatures() {
    List<ActionSignature> out = new ArrayList<>();
    for (Action<?> a : actions.values()) {
      out.add(signature(a));
    }
    return out;
  }

  static ActionSignature signature(Action<?> action) {
    List<ArgSpec> args = new ArrayList<>();
    for (RecordComponent c : action.argumentsType().getRecordComponents()) {
      Arg meta = c.getAnnotation(Arg.class);
      // an int argument's limit, checked before a run starts rather than when the step binds it
      Long max =
          c.getType() == int.class || c.getType() == Integer.class
              ? (long) Integer.MAX_VALUE
              : null;
      if (meta == null) {
        args.add(
            new ArgSpec(
                c.getName(),
                typeLabel(c.getGenericType()),
                true,
                "",
                false,
                null,
                max,
                null,
                List.of()));
        continue;
      }
      args.add(
          new ArgSpec(
              c.getName(),
              meta.duration() ? "duration" : typeLabel(c.getGenericType()),
              meta.required(),
              meta.description(),
              meta.positive(),
              meta.min() == Long.MIN_VALUE ? null : meta.min(),
              max,
              meta.pattern(),
              List.of(meta.oneOf()),
              List.of(meta.needs())));
    }
    return ActionSignature.of(action.name(), action.description(), args);
  }

  private static String typeLabel(Type t) {
    Type raw = t instanceof ParameterizedType p ? p.getRawType() : t;
    if (raw == String.class) {
      return "string";
    }
    if (raw == Integer.class || raw == int.class || raw == Long.class || raw == long.class) {
      return "integer";
    }
    if (raw == Boolean.class || raw == boolean.class) {
      return "boolean";
    }
    if (raw instanceof Class<?> c && List.class.isAssignableFrom(c)) {
      return "list";
    }
    if (raw instanceof Class<?> c && Map.class.isAssignableFrom(c)) {
      return "map";
    }
    return raw instanceof Class<?> c ? c.getSimpleName().toLowerCase() : raw.getTypeName();
  }
}
