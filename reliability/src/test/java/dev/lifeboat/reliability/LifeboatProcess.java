package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real {@code lifeboat.jar} as a separate process, driven over HTTP as a user drives it. A
 * restart is a new instance on the same repository and environment: on the embedded Temporal (the
 * default here) runs are gone after a restart while the repository on disk is what the faults are
 * about; with LIFEBOAT_TEMPORAL_ADDRESS in the environment the runs live on in that server.
 */
final class LifeboatProcess implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_DEADLINE = Duration.ofSeconds(120);

  private final Path workDir;
  private final Path repository;
  private final Path runbooks;
  private final int port;
  private final Path log;
  private final Map<String, String> env;
  private List<String> jvmFlags = List.of("-Xmx512m");
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Process process;

  private LifeboatProcess(Path workDir, Path repository, Path runbooks, Map<String, String> env)
      throws IOException {
    this.env = Map.copyOf(env);
    this.workDir = workDir;
    this.repository = repository;
    this.runbooks = runbooks;
    this.port = freePort();
    this.log = Files.createTempFile(workDir, "lifeboat-", ".log");
  }

  /** Starts the jar with its built-in configuration and waits until the API answers. */
  static LifeboatProcess start(Path workDir, Path repository, Path runbooks) throws IOException {
    return start(workDir, repository, runbooks, Map.of());
  }

  /**
   * Same, with extra environment variables, e.g. LIFEBOAT_TEMPORAL_ADDRESS for a durable Temporal.
   */
  static LifeboatProcess start(
      Path workDir, Path repository, Path runbooks, Map<String, String> env) throws IOException {
    LifeboatProcess p = new LifeboatProcess(workDir, repository, runbooks, env);
    p.launch();
    return p;
  }

  /** Same, with the JVM flags the server runs with (the default is {@code -Xmx512m}). */
  static LifeboatProcess startWithJvmFlags(
      Path workDir, Path repository, Path runbooks, List<String> jvmFlags) throws IOException {
    LifeboatProcess p = new LifeboatProcess(workDir, repository, runbooks, Map.of());
    p.jvmFlags = List.copyOf(jvmFlags);
    p.launch();
    return p;
  }

  /** A new server on the same folders, as after an operator restarts Lifeboat. */
  LifeboatProcess restart() throws IOException {
    if (process != null && process.isAlive()) {
      stop();
    }
    LifeboatProcess p = new LifeboatProcess(workDir, repository, runbooks, env);
    p.jvmFlags = jvmFlags;
    p.launch();
    return p;
  }

  /** The shipped runbooks plus extra ones written by a test, in a folder of their own. */
  static Path runbooks(Path dir, Map<String, String> extra) throws IOException {
    Files.createDirectories(dir);
    try (var files = Files.list(shippedRunbooks())) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    for (var e : extra.entrySet()) {
      Files.writeString(dir.resolve(e.getKey() + ".yaml"), e.getValue());
    }
    return dir;
  }

  static Path shippedRunbooks() {
    return Path.of(System.getProperty("lifeboat.runbooks", "../runbooks"))
        .toAbsolutePath()
        .normalize();
  }

  private void launch() throws IOException {
    Path jar =
        Path.of(System.getProperty("lifeboat.jar", "../api/target/lifeboat.jar")).toAbsolutePath();
    assertThat(jar).as("build the jar first: mvn -DskipTests package").isRegularFile();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", jar.toString(), "server"));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("LIFEBOAT_PORT", Integer.toString(port));
    pb.environment().put("LIFEBOAT_REPOSITORY", repository.toString());
    pb.environment().put("LIFEBOAT_RUNBOOKS", runbooks.toString());
    pb.environment().putAll(env);
    process = pb.start();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "lifeboat exited with " + process.exitValue() + " while starting:\n" + logTail());
      }
      try {
        HttpResponse<String> r =
            http.send(
                request("/api/runbooks").timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      pause(200);
    }
    kill9();
    throw new AssertionError(
        "lifeboat did not answer within " + START_DEADLINE + ":\n" + logTail());
  }

  /** SIGKILL for the JVM: no shutdown hook, no finally block runs. */
  void kill9() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A normal stop (SIGTERM), SIGKILL if it does not end within 30 s. */
  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill9();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill9();
    }
  }

  /** kill -9, as a test's {@code @AutoClose} field: whatever the outcome, no server stays. */
  @Override
  public void close() {
    kill9();
  }

  long pid() {
    return process.pid();
  }

  Path repository() {
    return repository;
  }

  /** The server's whole log so far. */
  String log() throws IOException {
    return Files.readString(log);
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  // --- HTTP ---

  /** Status code and parsed JSON body (null when the body is not JSON). */
  record Answer(int status, JsonNode body, String raw) {}

  Answer get(String path) {
    return send(request(path).GET().build());
  }

  Answer post(String path, Object body) {
    try {
      return send(
          request(path)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
              .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a run of a runbook and returns its id; anything but 202 fails the test with the answer.
   */
  String startRun(String runbook, Map<String, Object> params) {
    Answer a = post("/api/runbooks/" + runbook + "/runs", Map.of("params", params));
    assertThat(a.status()).as("start %s: %s", runbook, a.raw()).isEqualTo(202);
    return a.body().get("id").asText();
  }

  JsonNode run(String id) {
    Answer a = get("/api/runs/" + enc(id));
    assertThat(a.status()).as("GET run %s: %s", id, a.raw()).isEqualTo(200);
    return a.body();
  }

  /** Polls the run until it has ended (any status but RUNNING/WAITING_FOR_APPROVAL). */
  JsonNode awaitEnd(String id, Duration timeout) {
    return awaitRun(
        id,
        r -> !List.of("RUNNING", "WAITING_FOR_APPROVAL").contains(r.path("status").asText()),
        timeout,
        "the run to end");
  }

  /** Polls the run until it has ended and asserts it COMPLETED, showing the run when not. */
  JsonNode awaitCompleted(String id, Duration timeout) {
    JsonNode r = awaitEnd(id, timeout);
    assertThat(r.path("status").asText())
        .as("run %s: %s", id, r.toPrettyString())
        .isEqualTo("COMPLETED");
    return r;
  }

  JsonNode awaitRun(String id, Predicate<JsonNode> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = run(id);
      if (condition.test(last)) {
        return last;
      }
      pause(50);
    }
    throw new AssertionError(
        "waited "
            + timeout
            + " for "
            + what
            + " of run "
            + id
            + "; last seen: "
            + (last == null ? "nothing" : last.toPrettyString()));
  }

  /**
   * Polls the source's folder in the repository until an archive is being written there (its hidden
   * partial file holds bytes). The filesystem shows this at once, where the run's progress arrives
   * with heartbeats.
   */
  static void awaitArchiveBeingWritten(Path sourceDir, Duration timeout)
      throws java.io.IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.isDirectory(sourceDir)) {
        try (var files = Files.list(sourceDir)) {
          if (files.anyMatch(
              f ->
                  f.getFileName().toString().endsWith(".tar.gz.partial")
                      && f.toFile().length() > 0)) {
            return;
          }
        }
      }
      pause(10);
    }
    throw new AssertionError("no archive was being written in " + sourceDir + " within " + timeout);
  }

  /**
   * Polls until the given step has moved bytes, i.e. the archive or restore is really under way.
   */
  JsonNode awaitBytesDone(String id, String stepId, Duration timeout) {
    return awaitRun(
        id,
        r -> {
          if (!"RUNNING".equals(r.path("status").asText())) {
            throw new AssertionError(
                "run ended before the fault could be injected: " + r.toPrettyString());
          }
          return step(r, stepId).path("bytesDone").asLong() > 0;
        },
        timeout,
        "bytesDone > 0 in step " + stepId);
  }

  static JsonNode step(JsonNode run, String stepId) {
    for (JsonNode s : run.path("steps")) {
      if (stepId.equals(s.path("id").asText())) {
        return s;
      }
    }
    return JSON.createObjectNode();
  }

  /** {@code GET /api/backups?set=&source=}, newest first. */
  List<JsonNode> backups(String set, String source) {
    Answer a = get("/api/backups?set=" + enc(set) + "&source=" + enc(source));
    assertThat(a.status()).as("GET backups: %s", a.raw()).isEqualTo(200);
    return a.body().isArray() ? toList(a.body()) : List.of();
  }

  static List<JsonNode> toList(JsonNode array) {
    java.util.ArrayList<JsonNode> out = new java.util.ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30));
  }

  private Answer send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode body;
      try {
        body = r.body().isEmpty() ? null : JSON.readTree(r.body());
      } catch (IOException e) {
        body = null;
      }
      return new Answer(r.statusCode(), body, r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(
          request.uri() + ": " + e.getMessage() + "\nserver log:\n" + logTail(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Run ids contain '@' and ':'-free UTC stamps; encode everything else like the CLI does. */
  static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("%40", "@");
  }

  /** A loopback port free now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
