package dev.lifeboat.activities.action;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes an argument record component. Components without this annotation are required; optional
 * ones arrive as null and the record's compact constructor applies the default. The constraints are
 * declared here once and checked by the runbook loader (literal values) and by the API before a run
 * starts (parameter values), so a bad value fails before anything is done.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({
  ElementType.RECORD_COMPONENT,
  ElementType.FIELD,
  ElementType.PARAMETER,
  ElementType.METHOD
})
public @interface Arg {
  boolean required() default true;

  String description() default "";

  /** The text is a duration such as {@code 30d} (checked on load and before a run starts). */
  boolean duration() default false;

  /** An integer above 0, or a duration longer than 0. */
  boolean positive() default false;

  /** The smallest integer allowed; {@code Long.MIN_VALUE} for none. */
  long min() default Long.MIN_VALUE;

  /** A regular expression the whole text (every key, of a map) must match; empty for none. */
  String pattern() default "";

  /** The only texts allowed; empty for any. */
  String[] oneOf() default {};

  /** Other arguments this one is only meaningful with (checked before a run starts). */
  String[] needs() default {};
}
