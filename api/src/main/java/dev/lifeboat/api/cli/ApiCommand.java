package dev.lifeboat.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.activities.action.Printable;
import io.dropwizard.core.cli.Command;
import io.dropwizard.core.setup.Bootstrap;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * A CLI command that talks to a running Lifeboat over its API ({@code --url}, default {@code
 * $LIFEBOAT_URL} or {@code http://localhost:$LIFEBOAT_PORT}), presenting {@code
 * $LIFEBOAT_API_TOKEN} as a Bearer token when it is set (never as an argument: arguments show in
 * the process list).
 */
public abstract class ApiCommand extends Command {
  static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String base;
  private static final ThreadLocal<PrintStream[]> STREAMS = new ThreadLocal<>();
  private static final ThreadLocal<String> TOKEN = new ThreadLocal<>();
  PrintStream out;
  PrintStream err;

  ApiCommand(String name, String description) {
    super(name, description);
  }

  @Override
  public void configure(Subparser subparser) {
    String port = System.getenv().getOrDefault("LIFEBOAT_PORT", "8080");
    subparser
        .addArgument("--url")
        .setDefault(System.getenv().getOrDefault("LIFEBOAT_URL", "http://localhost:" + port))
        .help("Lifeboat's address (default $LIFEBOAT_URL or http://localhost:$LIFEBOAT_PORT)");
    configureArguments(subparser);
  }

  abstract void configureArguments(Subparser subparser);

  /** Runs the command; returns the process exit code. */
  abstract int execute(Namespace ns) throws Exception;

  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    if (!(e instanceof CliExit)) {
      System.err.println("lifeboat: " + Printable.text(e.getMessage()));
    }
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace ns) throws Exception {
    PrintStream[] streams = STREAMS.get();
    out = streams == null ? System.out : streams[0];
    err = streams == null ? System.err : streams[1];
    base = ns.getString("url").replaceAll("/+$", "");
    int code;
    try {
      code = execute(ns);
    } catch (CliError e) {
      err.println("lifeboat: " + Printable.text(e.getMessage()));
      code = e.exitCode;
    }
    out.flush();
    if (code != 0) {
      throw new CliExit(code);
    }
  }

  /**
   * Sends this thread's command output to these streams instead of System.out/err (for embedding).
   */
  public static void useStreams(PrintStream out, PrintStream err) {
    if (out == null) {
      STREAMS.remove();
    } else {
      STREAMS.set(new PrintStream[] {out, err});
    }
  }

  /**
   * Uses this token on this thread instead of $LIFEBOAT_API_TOKEN (for embedding; null: back to the
   * variable).
   */
  public static void useToken(String token) {
    if (token == null) {
      TOKEN.remove();
    } else {
      TOKEN.set(token);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    String token = TOKEN.get() != null ? TOKEN.get() : System.getenv("LIFEBOAT_API_TOKEN");
    if (token != null && !token.isBlank()) {
      b.header("Authorization", "Bearer " + token.strip());
    }
    return b;
  }

  JsonNode get(String path) throws IOException, InterruptedException {
    return send(request(path).GET().build());
  }

  JsonNode post(String path, Object body) throws IOException, InterruptedException {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    body == null ? "{}" : JSON.writeValueAsString(body)))
            .build());
  }

  private JsonNode send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException | java.net.http.HttpConnectTimeoutException e) {
      throw new CliError(
          "cannot reach Lifeboat at " + base + " (is it running? start it with scripts/start.sh)",
          3);
    } catch (IOException e) {
      // the connection broke mid-way (Lifeboat stopped while we followed a run)
      throw new CliError("lost Lifeboat at " + base + ": " + e.getMessage(), 3);
    }
    JsonNode body;
    try {
      body = r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new CliError(
          "Lifeboat at " + base + " answered HTTP " + r.statusCode() + " without JSON", 3);
    }
    if (r.statusCode() == 401) {
      throw new CliError(
          body.path("error").asText("HTTP 401")
              + " (set LIFEBOAT_API_TOKEN to a token Lifeboat accepts)",
          2);
    }
    if (r.statusCode() >= 400) {
      throw new CliError(body.path("error").asText("HTTP " + r.statusCode()), 2);
    }
    return body;
  }

  /** The run's address; an id no address can carry is no run, as the server would say. */
  static String runPath(String id) {
    if (!dev.lifeboat.api.core.RunIds.hasPath(id)) {
      throw new CliError("no run with id '" + id + "'", 2);
    }
    return dev.lifeboat.api.core.RunIds.path(id);
  }

  /**
   * A name (runbook, step, schedule) as one path segment, or empty when it cannot be one: with a
   * {@code /}, or {@code .} or {@code ..}, it would name another address, and no such name exists.
   */
  static java.util.Optional<String> segment(String name) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/")) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8)
            .replace("+", "%20"));
  }

  /** A failure to report in one line, with the exit code to end with. */
  static final class CliError extends RuntimeException {
    final int exitCode;

    CliError(String message, int exitCode) {
      super(message);
      this.exitCode = exitCode;
    }
  }
}
