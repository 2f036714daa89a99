package dev.lifeboat.activities.action;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes an argument record component. Components without this annotation are required; optional
 * ones arrive as null and the record's compact constructor applies the default.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
public @interface Arg {
  boolean required() default true;

  String description() default "";
}
