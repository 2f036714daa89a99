package dev.lifeboat.runbook;

import java.util.Optional;

/** The outcome of loading one runbook file: usable, or invalid with the reason. */
public sealed interface LoadedRunbook {
  String name();

  String file();

  default Optional<Runbook> runbook() {
    return this instanceof Valid v ? Optional.of(v.definition()) : Optional.empty();
  }

  record Valid(Runbook definition) implements LoadedRunbook {
    @Override
    public String name() {
      return definition.name();
    }

    @Override
    public String file() {
      return definition.file();
    }
  }

  record Invalid(String name, String file, int line, String reason) implements LoadedRunbook {}
}
