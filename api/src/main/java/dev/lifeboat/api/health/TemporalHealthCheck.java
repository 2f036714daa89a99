package dev.lifeboat.api.health;

import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.worker.TemporalConnection;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import java.util.concurrent.TimeUnit;

/** Temporal answers. */
public final class TemporalHealthCheck extends HealthCheck {
  private final TemporalConnection connection;

  public TemporalHealthCheck(TemporalConnection connection) {
    this.connection = connection;
  }

  @Override
  protected Result check() {
    try {
      connection
          .service()
          .blockingStub()
          .withDeadlineAfter(3, TimeUnit.SECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
      return Result.healthy(
          (connection.isEmbedded() ? "embedded (in memory) " : "") + connection.target());
    } catch (RuntimeException e) {
      return Result.unhealthy(
          "Temporal at " + connection.target() + " does not answer: " + e.getMessage());
    }
  }
}
