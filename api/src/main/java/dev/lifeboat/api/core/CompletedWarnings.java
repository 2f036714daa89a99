package dev.lifeboat.api.core;

import dev.lifeboat.workflows.RunResult;
import io.temporal.client.WorkflowClient;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The warnings of completed runs (a backup that could not read some files), read from their results
 * for lists: the runs table and a schedule's last run must not show such a run as a plain success.
 * A finished run's result never changes, so each is read once; a result that cannot be read now is
 * asked for again next time.
 */
public final class CompletedWarnings {
  private static final int KEEP = 2_000;

  private final WorkflowClient client;
  private final Map<String, List<Map<String, String>>> known =
      Collections.synchronizedMap(
          new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(
                Map.Entry<String, List<Map<String, String>>> eldest) {
              return size() > KEEP;
            }
          });

  public CompletedWarnings(WorkflowClient client) {
    this.client = client;
  }

  /** Whether {@link #of} answers {@code id} without asking Temporal. */
  boolean knows(String id) {
    return known.containsKey(id);
  }

  /**
   * {@code {"step", "text"}} for each warning of the completed run {@code id}, as {@code GET
   * /api/runs/{id}} lists them; empty when it has none or its result cannot be read.
   */
  public List<Map<String, String>> of(String id) {
    List<Map<String, String>> w = known.get(id);
    if (w != null) {
      return w;
    }
    RunResult r;
    try {
      r = client.newUntypedWorkflowStub(id).getResult(2, TimeUnit.SECONDS, RunResult.class);
    } catch (TimeoutException | RuntimeException e) {
      return List.of();
    }
    w =
        r == null || r.warnings() == null
            ? List.of()
            : r.warnings().stream().map(CompletedWarnings::split).toList();
    known.put(id, w);
    return w;
  }

  /** "step: text", as the workflow keeps a warning, into the API's shape. */
  static Map<String, String> split(String warning) {
    int colon = warning.indexOf(": ");
    return colon < 0
        ? Map.of("step", "", "text", warning)
        : Map.of("step", warning.substring(0, colon), "text", warning.substring(colon + 2));
  }
}
