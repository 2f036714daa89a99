package dev.lifeboat.reliability;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Temporal server (the Temporal CLI's {@code server start-dev}, SQLite persistence) for the
 * durability tests: the one scripts/test.sh starts for the whole build, or one of a test's own.
 */
final class TemporalDevServer implements AutoCloseable {
  static final String ADDRESS_ENV = "LIFEBOAT_TEST_TEMPORAL_ADDRESS";
  static final String UI_ENV = "LIFEBOAT_TEST_TEMPORAL_UI_URL";
  static final String CLI_ENV = "LIFEBOAT_TEST_TEMPORAL_CLI";
  private static final String SKIP =
      " is not set: these tests need a real Temporal server; scripts/test.sh starts one "
          + "(or start `temporal server start-dev` and export "
          + ADDRESS_ENV
          + "=host:port and "
          + UI_ENV
          + ")";

  private final Path cli;
  private final Path db;
  private final Path log;
  private final int port;
  private final int uiPort;
  private Process process;

  private TemporalDevServer(Path cli, Path db, Path log, int port, int uiPort) {
    this.cli = cli;
    this.db = db;
    this.log = log;
    this.port = port;
    this.uiPort = uiPort;
  }

  /**
   * The environment that points Lifeboat at the server scripts/test.sh started; skips the test
   * without one.
   */
  static Map<String, String> sharedLifeboatEnv() {
    String address = System.getenv(ADDRESS_ENV);
    assumeTrue(address != null && !address.isBlank(), ADDRESS_ENV + SKIP);
    String ui = System.getenv(UI_ENV);
    return ui == null || ui.isBlank()
        ? Map.of("LIFEBOAT_TEMPORAL_ADDRESS", address)
        : Map.of("LIFEBOAT_TEMPORAL_ADDRESS", address, "LIFEBOAT_TEMPORAL_UI_URL", ui);
  }

  static String sharedUi() {
    String ui = System.getenv(UI_ENV);
    assumeTrue(ui != null && !ui.isBlank(), UI_ENV + SKIP);
    return ui;
  }

  /**
   * A server of the test's own on free loopback ports, its database in {@code dir}; skips without a
   * CLI.
   */
  static TemporalDevServer start(Path dir) throws IOException {
    sharedLifeboatEnv(); // the same switch: scripts/test.sh provides both the server and the CLI
    String given = System.getenv(CLI_ENV);
    Path cli =
        given != null && !given.isBlank()
            ? Path.of(given)
            : Path.of(System.getProperty("lifeboat.tools", "../.tools/bin"), "temporal")
                .toAbsolutePath();
    assumeTrue(Files.isExecutable(cli), "no Temporal CLI at " + cli + " (" + CLI_ENV + ")");
    Files.createDirectories(dir);
    TemporalDevServer s =
        new TemporalDevServer(
            cli,
            dir.resolve("temporal.db"),
            dir.resolve("temporal.log"),
            LifeboatProcess.freePort(),
            LifeboatProcess.freePort());
    s.launch();
    return s;
  }

  /** Starts (again) on the same database file and ports, and waits until it answers. */
  void launch() throws IOException {
    process =
        new ProcessBuilder(
                cli.toString(),
                "server",
                "start-dev",
                "--db-filename",
                db.toString(),
                "--ip",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--ui-port",
                Integer.toString(uiPort),
                "--headless",
                "--log-level",
                "warn")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "the Temporal dev server exited with " + process.exitValue() + ":\n" + logTail());
      }
      if (Trees.run(
                  cli.toString(),
                  "operator",
                  "cluster",
                  "health",
                  "--address",
                  address(),
                  "--command-timeout",
                  "3s")
              .exit()
          == 0) {
        return;
      }
      LifeboatProcess.pause(300);
    }
    throw new AssertionError("the Temporal dev server did not answer within 90 s:\n" + logTail());
  }

  /** SIGKILL: the server gets no chance to flush anything beyond what SQLite committed. */
  void kill9() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  Map<String, String> lifeboatEnv() {
    return Map.of("LIFEBOAT_TEMPORAL_ADDRESS", address());
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    kill9();
  }
}
