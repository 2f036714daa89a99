package dev.lifeboat.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.command.ProgramGroups;
import dev.lifeboat.api.health.TemporalHealthCheck;
import dev.lifeboat.worker.LifeboatWorker;
import dev.lifeboat.worker.StandardActions;
import dev.lifeboat.worker.TemporalConnection;
import dev.lifeboat.worker.TemporalSettings;
import dev.lifeboat.worker.WorkerSettings;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import net.sourceforge.argparse4j.inf.Namespace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code lifeboat worker}: only the worker (Temporal connection, the runbook workflow and the
 * actions), no API and no web page, for a Deployment of its own. Its probes are a tiny HTTP port
 * ({@code LIFEBOAT_HEALTH_PORT}, default 8081, on {@code LIFEBOAT_HEALTH_BIND}, default loopback)
 * that serves {@code /health/live} and {@code /health/ready} (Temporal answers) and nothing else.
 */
final class WorkerCommand extends ConfiguredCommand<LifeboatConfiguration> {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerCommand.class);

  WorkerCommand(LifeboatApplication application) {
    super(
        "worker",
        "Runs only the worker (no API): needs a Temporal server (LIFEBOAT_TEMPORAL_ADDRESS)");
  }

  @Override
  protected void run(
      Bootstrap<LifeboatConfiguration> bootstrap, Namespace namespace, LifeboatConfiguration config)
      throws Exception {
    TemporalSettings temporal = LifeboatApplication.temporalSettings(config);
    if (temporal.isEmbedded()) {
      // an in-memory server no API can reach would make a worker that can never get work
      throw new IllegalArgumentException(
          "the worker command needs a Temporal server: set LIFEBOAT_TEMPORAL_ADDRESS "
              + "(host:port), e.g. 127.0.0.1:7233 for `temporal server start-dev`");
    }
    WorkerSettings settings = LifeboatApplication.workerSettings(config);
    ActionRegistry actions = StandardActions.create(settings);
    ProgramGroups programs = ProgramGroups.recordedIn(settings.runDir());
    TemporalConnection connection = TemporalConnection.open(temporal);
    LifeboatWorker worker = new LifeboatWorker(connection, actions);
    TemporalHealthCheck temporalUp = new TemporalHealthCheck(connection);
    HttpServer health = healthServer(worker, temporalUp);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("worker stopping");
                  health.stop(0);
                  worker.close();
                  ProgramGroups.endAll();
                  connection.close();
                  stopped.countDown();
                },
                "lifeboat-worker-stop"));
    programs.reapLeftovers();
    worker.start();
    health.start();
    LOG.info(
        "Lifeboat worker polling Temporal at {} (namespace {}); probes on {}",
        connection.target(),
        connection.namespace(),
        health.getAddress());
    stopped.await();
  }

  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      cli.getStdErr().println("lifeboat worker: " + e.getMessage());
    } else {
      super.onError(cli, namespace, e);
    }
  }

  private static HttpServer healthServer(LifeboatWorker worker, TemporalHealthCheck temporalUp)
      throws IOException {
    String bind = env("LIFEBOAT_HEALTH_BIND", "127.0.0.1");
    int port = Integer.parseInt(env("LIFEBOAT_HEALTH_PORT", "8081"));
    HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 8);
    server.createContext("/health/live", ex -> answer(ex, worker.isRunning()));
    server.createContext(
        "/health/ready",
        ex -> {
          answer(ex, worker.isRunning() && temporalUp.execute().isHealthy());
        });
    return server;
  }

  private static void answer(HttpExchange ex, boolean ok) throws IOException {
    byte[] body = ("{\"healthy\":" + ok + "}").getBytes(StandardCharsets.UTF_8);
    if (!ex.getRequestURI().getPath().equals(ex.getHttpContext().getPath())) {
      ex.sendResponseHeaders(404, -1);
      ex.close();
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(ok ? 200 : 503, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
