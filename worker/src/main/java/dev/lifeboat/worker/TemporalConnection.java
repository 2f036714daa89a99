package dev.lifeboat.worker;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A client connection to Temporal: a configured server, or an embedded in-process test server. */
public final class TemporalConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemporalConnection.class);

  private final TemporalSettings settings;
  private final TestServer.PortBoundTestServer embedded;
  private final String target;
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;

  private TemporalConnection(TemporalSettings settings) {
    this.settings = settings;
    if (settings.isEmbedded()) {
      int port = settings.embeddedPort() > 0 ? settings.embeddedPort() : freePort();
      // true locks time skipping: timers, timeouts and schedules run in real time, as on a real server
      this.embedded = TestServer.createPortBoundServer(port, true);
      this.target = "127.0.0.1:" + port;
      LOG.warn("Embedded Temporal test server on {}: run state is kept IN MEMORY and is lost when Lifeboat stops. "
          + "For durable runs start Lifeboat with scripts/start.sh (it runs a local Temporal dev server) or set "
          + "LIFEBOAT_TEMPORAL_ADDRESS to a Temporal server.", target);
    } else {
      this.embedded = null;
      this.target = settings.address();
      LOG.info("Connecting to Temporal at {} (namespace {})", target, settings.namespace());
    }
    this.service = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
        .setTarget(target)
        .setRpcTimeout(Duration.ofSeconds(10))
        .build());
    this.client = WorkflowClient.newInstance(service,
        WorkflowClientOptions.newBuilder().setNamespace(settings.namespace()).build());
  }

  public static TemporalConnection open(TemporalSettings settings) {
    return new TemporalConnection(settings);
  }

  public WorkflowClient client() {
    return client;
  }

  public WorkflowServiceStubs service() {
    return service;
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** host:port of the Temporal frontend in use. */
  public String target() {
    return target;
  }

  public String namespace() {
    return settings.namespace();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free local port for the embedded Temporal server", e);
    }
  }

  @Override
  public void close() {
    service.shutdown();
    service.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    if (embedded != null) {
      embedded.close();
    }
  }
}
