package dev.lifeboat.activities.action;

/**
 * One thing a runbook step can do. Each action is its own class, registered by name; its arguments
 * are a record whose components are the argument names (see {@link Arg}).
 *
 * @param <A> the arguments record
 */
public interface Action<A extends Record> {
  String name();

  String description();

  Class<A> argumentsType();

  /**
   * Does the work. Returns a record or map that becomes the step's output ({@code
   * ${steps.id.field}}). Throw {@link ActionException} for failures a human must fix; other
   * exceptions are retried.
   */
  Object run(A args, ActionContext context) throws Exception;
}
