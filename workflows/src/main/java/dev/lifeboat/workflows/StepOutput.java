package dev.lifeboat.workflows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes the final message, warning and log tail an action returns next to its output and puts them
 * on the step.
 */
final class StepOutput {
  private StepOutput() {}

  static Map<String, Object> keepLive(Map<String, Object> out, RunbookWorkflowImpl.StepRecord r) {
    if (out == null) {
      return Map.of();
    }
    if (!(out.get(LiveProgress.OUTPUT_KEY) instanceof Map<?, ?> live)) {
      return out;
    }
    Map<String, Object> clean = new LinkedHashMap<>(out);
    clean.remove(LiveProgress.OUTPUT_KEY);
    if (live.get("message") instanceof String m) {
      r.message = m;
    }
    if (live.get("warning") instanceof String w) {
      r.warning = w;
    }
    if (live.get("log") instanceof List<?> lines) {
      r.addLog(lines.stream().map(String::valueOf).toList());
    }
    if (live.get("bytesDone") instanceof Number n) {
      r.bytesDone = n.longValue();
    }
    if (live.get("bytesTotal") instanceof Number n) {
      r.bytesTotal = n.longValue();
    }
    if (live.get("filesDone") instanceof Number n) {
      r.filesDone = n.longValue();
    }
    if (live.get("attempt") instanceof Number n) {
      r.attempt = Math.max(r.attempt, n.intValue());
    }
    return clean;
  }
}
