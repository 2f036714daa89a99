package dev.lifeboat.api;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.worker.LifeboatWorker;
import dev.lifeboat.worker.TemporalConnection;
import dev.lifeboat.worker.TemporalSettings;
import io.dropwizard.lifecycle.Managed;

/** The Temporal connection (embedded server or remote) and, when configured, the worker in this process. */
public final class LifeboatRuntime implements Managed {
  private final TemporalConnection connection;
  private final LifeboatWorker worker;

  LifeboatRuntime(TemporalSettings settings, ActionRegistry actions, boolean runWorker) {
    this.connection = TemporalConnection.open(settings);
    this.worker = runWorker || connection.isEmbedded() ? new LifeboatWorker(connection, actions) : null;
  }

  public TemporalConnection connection() {
    return connection;
  }

  @Override
  public void start() {
    if (worker != null) {
      worker.start();
    }
  }

  @Override
  public void stop() {
    if (worker != null) {
      worker.close();
    }
    connection.close();
  }
}
