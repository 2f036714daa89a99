package dev.lifeboat.runbook;

/** A typed runbook parameter. {@code defaultValue} is null when there is none. */
public record Param(String name, ParamType type, Object defaultValue, boolean required, String description) {
  public Param {
    description = description == null ? "" : description;
  }
}
