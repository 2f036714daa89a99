package dev.lifeboat.runbook;

import java.util.List;

/**
 * A runbook's {@code notify:}: on which run events ({@code failure}, {@code approval}, {@code
 * completion}) the run posts a notification, and where. {@code url} and {@code format} are null for
 * the worker's defaults (LIFEBOAT_NOTIFY_URL, json). The URL is the runbook author's literal text,
 * never a parameter: a caller must not choose where the worker sends requests.
 */
public record NotifySpec(List<String> on, String url, String format) {
  public static final String ACTION = "notify";
  public static final List<String> EVENTS = List.of("failure", "approval", "completion");
  public static final List<String> FORMATS = List.of("slack", "ntfy", "json");

  public NotifySpec {
    on = on == null ? List.of() : List.copyOf(on);
  }

  public boolean wants(String event) {
    return on.contains(event);
  }
}
