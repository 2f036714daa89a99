package dev.lifeboat.activities.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Posts a notification as JSON to a webhook: Slack-compatible ({@code {"text"}}), ntfy-compatible
 * (a JSON publish to the server root: topic, title, message, priority, tags) or generic JSON with
 * the run's id, runbook, status, step and error. The address is the worker's LIFEBOAT_NOTIFY_URL or
 * the runbook's literal {@code url} (the loader refuses one built from parameters).
 */
public final class Notify implements Action<Notify.Args> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Integer> NTFY_PRIORITY =
      Map.of("min", 1, "low", 2, "default", 3, "high", 4, "urgent", 5);

  public record Args(
      @Arg(
              required = false,
              description =
                  "the webhook (default LIFEBOAT_NOTIFY_URL); for ntfy, the server URL with the topic as its path")
          String url,
      @Arg(
              required = false,
              oneOf = {"slack", "ntfy", "json"},
              description = "body shape: slack, ntfy or json (default json)")
          String format,
      @Arg(required = false, description = "a short title") String title,
      @Arg(description = "what happened") String message,
      @Arg(
              required = false,
              oneOf = {"min", "low", "default", "high", "urgent"},
              description = "priority (default: default)")
          String priority,
      @Arg(
              required = false,
              description = "the run event: failure, approval, completion (set by runbook notify:)")
          String event,
      @Arg(required = false, description = "the runbook's name (json body)") String runbook,
      @Arg(required = false, description = "the run's status (json body)") String status,
      @Arg(required = false, description = "the step concerned (json body)") String step) {

    public Args {
      format = format == null || format.isBlank() ? "json" : format;
      priority = priority == null || priority.isBlank() ? "default" : priority;
    }
  }

  /** What the step outputs: where it posted and the answer's status code. */
  public record Result(String format, int status) {}

  private final String defaultUrl;
  private final HttpClient http;

  /**
   * @param defaultUrl LIFEBOAT_NOTIFY_URL, or null when not configured
   */
  public Notify(String defaultUrl) {
    this.defaultUrl = defaultUrl == null || defaultUrl.isBlank() ? null : defaultUrl.strip();
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  @Override
  public String name() {
    return "notify";
  }

  @Override
  public String description() {
    return "Posts a notification (Slack, ntfy or generic JSON) to LIFEBOAT_NOTIFY_URL or the runbook's url";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext ctx) throws Exception {
    String url = args.url() != null && !args.url().isBlank() ? args.url().strip() : defaultUrl;
    if (url == null) {
      throw ActionException.invalid(
          "notify: no url: set LIFEBOAT_NOTIFY_URL or give the runbook's notify a url");
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid(
          "notify: url '" + url + "' is not an address: " + e.getMessage());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw ActionException.invalid(
          "notify: url '" + url + "' must be an http:// or https:// address");
    }
    Map<String, Object> body = body(args, ctx, uri);
    URI target = "ntfy".equals(args.format()) ? uri.resolve("/") : uri;
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(Duration.ofSeconds(15))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build();
    HttpResponse<String> answer;
    try {
      answer = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // no cause: the run shows the innermost message, and a refused connection's own message is
      // empty
      throw new IOException(
          "notify: cannot reach "
              + target.getHost()
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    ctx.log(
        "notify: "
            + args.format()
            + " to "
            + target.getHost()
            + " answered "
            + answer.statusCode());
    if (answer.statusCode() >= 500) {
      throw new IOException(
          "notify: " + target.getHost() + " answered HTTP " + answer.statusCode());
    }
    if (answer.statusCode() >= 400) {
      throw ActionException.check(
          "notify: " + target.getHost() + " refused the notification: HTTP " + answer.statusCode());
    }
    return new Result(args.format(), answer.statusCode());
  }

  static Map<String, Object> body(Args args, ActionContext ctx, URI uri) {
    String title = args.title() == null ? "Lifeboat" : args.title();
    Map<String, Object> body = new LinkedHashMap<>();
    switch (args.format()) {
      case "slack" -> body.put("text", "*" + title + "*\n" + args.message());
      case "ntfy" -> {
        String topic = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
        if (topic.isEmpty()) {
          throw ActionException.invalid(
              "notify: an ntfy url names the topic as its path, e.g. https://ntfy.sh/lifeboat");
        }
        body.put("topic", topic);
        body.put("title", title);
        body.put("message", args.message());
        body.put("priority", NTFY_PRIORITY.getOrDefault(args.priority(), 3));
        body.put(
            "tags",
            List.of(
                "failure".equals(args.event())
                    ? "rotating_light"
                    : "approval".equals(args.event()) ? "raised_hand" : "lifeboat"));
      }
      default -> {
        body.put("runId", ctx.runId());
        body.put("runbook", args.runbook());
        body.put("event", args.event());
        body.put("status", args.status());
        body.put("step", args.step());
        body.put("title", title);
        body.put("message", args.message());
        body.put("priority", args.priority());
        if ("failure".equals(args.event())) {
          body.put("error", args.message());
        }
      }
    }
    return body;
  }
}
