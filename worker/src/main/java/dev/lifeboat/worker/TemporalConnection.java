package dev.lifeboat.worker;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A client connection to Temporal: a configured server, or an embedded in-process test server. */
public final class TemporalConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TemporalConnection.class);

  private final TemporalSettings settings;
  private final TestServicesStarter embedded;
  private final Server embeddedGrpc;
  private final String target;
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;

  private TemporalConnection(TemporalSettings settings) {
    this.settings = settings;
    if (settings.isEmbedded()) {
      int port = settings.embeddedPort() > 0 ? settings.embeddedPort() : freePort();
      // true locks time skipping: timers, timeouts and schedules run in real time, as on a real
      // server
      this.embedded = new TestServicesStarter(true, 0);
      this.embeddedGrpc = startLoopback(embedded, port);
      this.target = "127.0.0.1:" + port;
      LOG.warn(
          "Embedded Temporal test server on {}: run state is kept IN MEMORY and is lost when Lifeboat stops. "
              + "For durable runs start Lifeboat with scripts/start.sh (it runs a local Temporal dev server) or set "
              + "LIFEBOAT_TEMPORAL_ADDRESS to a Temporal server.",
          target);
    } else {
      this.embedded = null;
      this.embeddedGrpc = null;
      this.target = settings.address();
      LOG.info("Connecting to Temporal at {} (namespace {})", target, settings.namespace());
    }
    this.service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(target)
                .setRpcTimeout(Duration.ofSeconds(10))
                .build());
    this.client =
        WorkflowClient.newInstance(
            service, WorkflowClientOptions.newBuilder().setNamespace(settings.namespace()).build());
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

  /**
   * Serves the test server's services on loopback only. TestServer.createPortBoundServer binds
   * every interface, which would hand the whole Temporal API (start, signal, terminate any run) to
   * the network.
   */
  private static Server startLoopback(TestServicesStarter services, int port) {
    var builder =
        NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    try {
      return builder.build().start();
    } catch (IOException e) {
      services.close();
      throw new UncheckedIOException(
          "the embedded Temporal server cannot listen on 127.0.0.1:" + port, e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
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
      embeddedGrpc.shutdown();
      try {
        embeddedGrpc.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      embedded.close();
      embeddedGrpc.shutdownNow();
    }
  }
}
