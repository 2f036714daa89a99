package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The containers the manifests describe, run from the real jar: the image's ENTRYPOINT plus each
 * Deployment's args and env as {@code kubectl kustomize deploy/} prints them. Only what points at
 * this machine is substituted: Temporal's address, the repository folder, the ports, and the
 * Secret's token.
 */
class ManifestCommandsTest {
  static final Path SOURCE =
      Path.of(System.getProperty("lifeboat.source", "..")).toAbsolutePath().normalize();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final String TOKEN = "manifest-test-token-0123456789abcdef";

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void imageEntrypointIsTheJarAndComposeRunsAContainerTheManifestsUse() throws Exception {
    assertThat(entrypoint())
        .containsExactly("java", "-XX:TieredStopAtLevel=1", "-jar", "/opt/lifeboat/lifeboat.jar");
    Map<String, JsonNode> containers = containers();
    assertThat(containers.get("lifeboat-api").get("args")).isEqualTo(YAML.readTree("[server]"));
    assertThat(containers.get("lifeboat-worker").get("args")).isEqualTo(YAML.readTree("[worker]"));
  }

  @Test
  void workerAndApiDeploymentsRunAsDescribed() throws Exception {
    Map<String, JsonNode> containers = containers();
    List<String> entrypoint = entrypoint();
    Path repository = Files.createDirectories(work.resolve("repository"));
    Path data = Files.createDirectories(work.resolve("notes"));
    Files.writeString(data.resolve("a.txt"), "alpha");
    String external = System.getenv("LIFEBOAT_TEST_TEMPORAL_ADDRESS");
    TestServer.PortBoundTestServer temporal = null;
    String address;
    if (external != null && !external.isBlank()) {
      address = external;
    } else {
      int temporalPort = LifeboatProcess.freePort();
      temporal = TestServer.createPortBoundServer(temporalPort, true);
      address = "127.0.0.1:" + temporalPort;
    }
    try {
      int apiPort = LifeboatProcess.freePort();
      Process api =
          launch(
              entrypoint,
              containers.get("lifeboat-api"),
              Map.of(
                  "LIFEBOAT_TEMPORAL_ADDRESS",
                  address,
                  "LIFEBOAT_REPOSITORY",
                  repository.toString(),
                  "LIFEBOAT_PORT",
                  Integer.toString(apiPort)),
              "api");
      String apiBase = "http://127.0.0.1:" + apiPort;
      awaitStatus(api, apiBase + "/admin/health/ready", 200, Duration.ofSeconds(120));

      // only the API is up: a run is accepted and waits, because this process runs no worker
      String id = startRun(apiBase, data);
      // its status answers without a worker to answer the progress query (it waited 60 s)
      long asked = System.nanoTime();
      run(apiBase, id);
      assertThat(Duration.ofNanos(System.nanoTime() - asked))
          .as("a run's status with no worker running")
          .isLessThan(Duration.ofSeconds(10));
      asked = System.nanoTime();
      HttpResponse<String> list =
          http.send(
              HttpRequest.newBuilder(URI.create(apiBase + "/api/runs"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
      assertThat(list.body()).contains(id);
      assertThat(Duration.ofNanos(System.nanoTime() - asked))
          .as("the run list with no worker running")
          .isLessThan(Duration.ofSeconds(10));
      JsonNode waiting = runDuring(apiBase, id, Duration.ofSeconds(3));
      assertThat(waiting.path("status").asText()).isEqualTo("RUNNING");
      assertThat(waiting.path("steps").path(0).path("state").asText())
          .as(waiting.toPrettyString())
          .isIn("PENDING", "SCHEDULED", "");

      int healthPort = LifeboatProcess.freePort();
      Process worker =
          launch(
              entrypoint,
              containers.get("lifeboat-worker"),
              Map.of(
                  "LIFEBOAT_TEMPORAL_ADDRESS",
                  address,
                  "LIFEBOAT_REPOSITORY",
                  repository.toString(),
                  "LIFEBOAT_HEALTH_PORT",
                  Integer.toString(healthPort),
                  "LIFEBOAT_HEALTH_BIND",
                  "127.0.0.1"),
              "worker");
      awaitStatus(
          worker, "http://127.0.0.1:" + healthPort + "/health/ready", 200, Duration.ofSeconds(120));
      assertThat(get("http://127.0.0.1:" + healthPort + "/health/live").statusCode())
          .isEqualTo(200);
      // the worker serves no API
      assertThat(get("http://127.0.0.1:" + healthPort + "/api/runbooks").statusCode())
          .isEqualTo(404);

      JsonNode done = awaitEnd(apiBase, id, Duration.ofSeconds(120));
      assertThat(done.path("status").asText()).as(done.toPrettyString()).isEqualTo("COMPLETED");
      try (var files = Files.walk(repository)) {
        assertThat(files.filter(f -> f.toString().endsWith(".tar.gz")).count())
            .as("the worker wrote the archive")
            .isEqualTo(1);
      }
    } finally {
      if (temporal != null) {
        temporal.close();
      }
    }
  }

  /** ENTRYPOINT of the Dockerfile's final stage, as a JSON (exec form) list. */
  static List<String> entrypoint() throws IOException {
    String last = null;
    for (String line : Files.readAllLines(SOURCE.resolve("Dockerfile"))) {
      if (line.startsWith("ENTRYPOINT ")) {
        last = line.substring("ENTRYPOINT ".length()).trim();
      }
    }
    assertThat(last).as("the Dockerfile has an ENTRYPOINT").isNotNull();
    List<String> out = new ArrayList<>();
    new ObjectMapper().readTree(last).forEach(n -> out.add(n.asText()));
    return out;
  }

  /**
   * The first container of each Deployment in {@code kubectl kustomize deploy/}, by Deployment
   * name.
   */
  static Map<String, JsonNode> containers() throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("kubectl", "kustomize", SOURCE.resolve("deploy").toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "kubectl is not installed: the manifests' commands are not checked");
      throw e;
    }
    String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
        .as("kubectl kustomize deploy/: %s", err)
        .isTrue();
    Map<String, JsonNode> out = new LinkedHashMap<>();
    try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode o = docs.next();
        if ("Deployment".equals(o.path("kind").asText())) {
          out.put(
              o.path("metadata").path("name").asText(),
              o.path("spec").path("template").path("spec").path("containers").get(0));
        }
      }
    }
    assertThat(out).containsOnlyKeys("lifeboat-api", "lifeboat-worker");
    return out;
  }

  private Process launch(
      List<String> entrypoint, JsonNode container, Map<String, String> local, String name)
      throws IOException {
    Path jar =
        Path.of(System.getProperty("lifeboat.jar", "../api/target/lifeboat.jar")).toAbsolutePath();
    assertThat(jar).as("build the jar first: mvn -DskipTests package").isRegularFile();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String part : entrypoint.subList(1, entrypoint.size())) {
      // the image's paths, as in this checkout
      command.add(part.replace("/opt/lifeboat/lifeboat.jar", jar.toString()));
    }
    container.path("command").forEach(n -> command.add(n.asText()));
    container.path("args").forEach(n -> command.add(n.asText()));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve(name + ".log").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("LIFEBOAT_"));
    for (JsonNode e : container.path("env")) {
      String key = e.path("name").asText();
      if (e.has("value")) {
        pb.environment().put(key, e.path("value").asText());
      } else {
        assertThat(e.path("valueFrom").path("secretKeyRef").path("name").asText())
            .as(key)
            .isNotEmpty();
        pb.environment().put(key, TOKEN);
      }
    }
    pb.environment().putAll(local);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private String startRun(String base, Path data) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/runbooks/local-backup/runs"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"params\": {\"path\": \"" + data + "\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return new ObjectMapper().readTree(r.body()).get("id").asText();
  }

  private JsonNode run(String base, String id) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/runs/" + LifeboatProcess.enc(id)))
                .header("Authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  /** The run after {@code span}, failing early if it ended meanwhile. */
  private JsonNode runDuring(String base, String id, Duration span) throws Exception {
    long end = System.nanoTime() + span.toNanos();
    JsonNode r = run(base, id);
    while (System.nanoTime() < end) {
      r = run(base, id);
      assertThat(r.path("status").asText()).as("no worker may run it: %s", r).isEqualTo("RUNNING");
      LifeboatProcess.pause(100);
    }
    return r;
  }

  private JsonNode awaitEnd(String base, String id, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    JsonNode r = run(base, id);
    while (System.nanoTime() < end
        && List.of("RUNNING", "WAITING_FOR_APPROVAL").contains(r.path("status").asText())) {
      LifeboatProcess.pause(100);
      r = run(base, id);
    }
    return r;
  }

  private void awaitStatus(Process p, String url, int status, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "process exited with " + p.exitValue() + " before " + url + " answered");
      }
      try {
        if (get(url).statusCode() == status) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      LifeboatProcess.pause(200);
    }
    throw new AssertionError(url + " did not answer " + status + " within " + timeout);
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
