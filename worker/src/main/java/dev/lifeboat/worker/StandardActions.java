package dev.lifeboat.worker;

import dev.lifeboat.activities.action.ActionRegistry;
import java.nio.file.Path;

/** Every action a Lifeboat worker offers, wired to its dependencies. */
public final class StandardActions {
  private StandardActions() {}

  /** @param repository root of the local backup repository */
  public static ActionRegistry create(Path repository) {
    ActionRegistry registry = new ActionRegistry();
    return registry;
  }
}
