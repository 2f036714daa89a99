package dev.lifeboat.activities.action;

/**
 * Stands in for an action whose configuration is missing (e.g. no offsite remote): runbooks that
 * use it still load, and a run that reaches it fails with what to configure.
 */
public final class Unavailable<A extends Record> implements Action<A> {
  private final Action<A> real;
  private final String why;

  public Unavailable(Action<A> shape, String why) {
    this.real = shape;
    this.why = why;
  }

  /**
   * For actions that cannot be constructed without their configuration: name and arguments only.
   */
  public static <A extends Record> Unavailable<A> named(
      String name, String description, Class<A> args, String why) {
    return new Unavailable<>(
        new Action<>() {
          @Override
          public String name() {
            return name;
          }

          @Override
          public String description() {
            return description;
          }

          @Override
          public Class<A> argumentsType() {
            return args;
          }

          @Override
          public Object run(A a, ActionContext context) {
            throw ActionException.invalid(why);
          }
        },
        why);
  }

  @Override
  public String name() {
    return real.name();
  }

  @Override
  public String description() {
    return real.description() + " (unavailable: " + why + ")";
  }

  @Override
  public Class<A> argumentsType() {
    return real.argumentsType();
  }

  @Override
  public Object run(A args, ActionContext context) {
    throw ActionException.invalid("action '" + real.name() + "' is not available: " + why);
  }
}
