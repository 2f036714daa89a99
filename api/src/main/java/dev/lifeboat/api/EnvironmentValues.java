package dev.lifeboat.api;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;

/**
 * Puts environment variables into the YAML configuration as quoted scalars: pasted as they are, a
 * token {@code hunter2 #9f8e} became {@code hunter2} (the rest a YAML comment), {@code ~} became
 * null (no token: the API open), and {@code LIFEBOAT_BIND=::} a parse error with a stack trace. A
 * value is data, whatever characters it holds; nor is {@code ${...}} inside a value substituted
 * again. Numbers and truth values arrive as text, which the configuration's fields convert.
 */
final class EnvironmentValues extends EnvironmentVariableSubstitutor {
  EnvironmentValues() {
    this(System::getenv);
  }

  EnvironmentValues(java.util.function.UnaryOperator<String> environment) {
    super(false);
    setVariableResolver(
        key -> {
          String value = environment.apply(key);
          return value == null ? null : quoted(value);
        });
    setDisableSubstitutionInValues(true);
  }

  /** A YAML double-quoted scalar holding exactly {@code value} (JSON's escapes are YAML's). */
  static String quoted(String value) {
    return "\""
        + new String(
            com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(value))
        + "\"";
  }
}
