package dev.lifeboat.api;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.command.ProgramGroups;
import dev.lifeboat.worker.LifeboatWorker;
import dev.lifeboat.worker.TemporalConnection;
import dev.lifeboat.worker.TemporalSettings;
import io.dropwizard.lifecycle.Managed;

/**
 * The Temporal connection (embedded server or remote) and, when configured, the worker in this
 * process.
 */
public final class LifeboatRuntime implements Managed {
  private final TemporalConnection connection;
  private final LifeboatWorker worker;
  private final ProgramGroups programs;

  LifeboatRuntime(
      TemporalSettings settings,
      ActionRegistry actions,
      boolean runWorker,
      ProgramGroups programs) {
    this.connection = TemporalConnection.open(settings);
    this.worker =
        runWorker || connection.isEmbedded() ? new LifeboatWorker(connection, actions) : null;
    this.programs = programs;
  }

  public TemporalConnection connection() {
    return connection;
  }

  @Override
  public void start() {
    if (worker != null) {
      // programs a killed predecessor left running (their pid files say which) end before new work
      // starts
      programs.reapLeftovers();
      worker.start();
    }
  }

  @Override
  public void stop() {
    if (worker != null) {
      worker.close();
    }
    // what is still running after the worker's grace period ends as whole process groups
    ProgramGroups.endAll();
    connection.close();
  }
}
