package dev.lifeboat.activities.ansible;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads ansible-playbook's default (uncoloured) output line by line: which task is running, which
 * host failed or was unreachable at which task and why, and the PLAY RECAP counts per host.
 */
final class PlaybookOutput {
  private static final Pattern TASK =
      Pattern.compile("^(TASK|RUNNING HANDLER) \\[(.*)\\] \\**\\s*$");
  private static final Pattern PLAY = Pattern.compile("^PLAY \\[(.*)\\] \\**\\s*$");
  private static final Pattern FATAL =
      Pattern.compile("^fatal: \\[([^\\]]+)\\]: (FAILED|UNREACHABLE)! => (.*)$");
  private static final Pattern RECAP_LINE =
      Pattern.compile(
          "^(\\S+)\\s+:\\s+ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)"
              + "\\s+skipped=(\\d+)\\s+rescued=(\\d+)\\s+ignored=(\\d+)\\s*$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REASON = 400;

  /** Why one host stopped: at which task, failed or unreachable, and ansible's message. */
  record HostFailure(String host, String task, boolean unreachable, String reason) {
    String describe() {
      return "host "
          + host
          + (unreachable ? " was unreachable" : " failed")
          + " at task '"
          + task
          + "'"
          + (reason.isEmpty() ? "" : ": " + reason);
    }
  }

  private final Consumer<String> taskListener;
  private final Map<String, HostFailure> failures = new LinkedHashMap<>();
  private final Map<String, RunPlaybook.HostRecap> recap = new LinkedHashMap<>();
  private final List<String> taskNames = new ArrayList<>();
  private HostFailure lastFatal;
  private String task = "";
  private boolean inRecap;

  PlaybookOutput(Consumer<String> taskListener) {
    this.taskListener = taskListener;
  }

  synchronized void accept(String line) {
    Matcher m;
    if ((m = TASK.matcher(line)).matches()) {
      inRecap = false;
      task = m.group(2);
      taskNames.add(task);
      taskListener.accept(m.group(1) + " [" + task + "]");
    } else if (line.startsWith("PLAY RECAP")) {
      inRecap = true;
    } else if ((m = PLAY.matcher(line)).matches()) {
      inRecap = false;
      taskListener.accept("PLAY [" + m.group(1) + "]");
    } else if ((m = FATAL.matcher(line)).matches()) {
      lastFatal =
          new HostFailure(m.group(1), task, m.group(2).equals("UNREACHABLE"), reason(m.group(3)));
      failures.put(lastFatal.host(), lastFatal);
    } else if (line.trim().equals("...ignoring") && lastFatal != null) {
      failures.remove(lastFatal.host(), lastFatal);
      lastFatal = null;
    } else if (inRecap && (m = RECAP_LINE.matcher(line)).matches()) {
      recap.put(
          m.group(1),
          new RunPlaybook.HostRecap(i(m, 2), i(m, 3), i(m, 4), i(m, 5), i(m, 6), i(m, 7), i(m, 8)));
    }
  }

  synchronized Map<String, RunPlaybook.HostRecap> recap() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(recap));
  }

  synchronized List<String> taskNames() {
    return List.copyOf(taskNames);
  }

  /** Hosts the recap counts as failed or unreachable, each with the task where it stopped. */
  synchronized List<HostFailure> failedHosts() {
    List<HostFailure> out = new ArrayList<>();
    recap.forEach(
        (host, counts) -> {
          if (counts.failed() > 0 || counts.unreachable() > 0) {
            HostFailure f = failures.get(host);
            out.add(
                f != null
                    ? f
                    : new HostFailure(host, "(unknown task)", counts.unreachable() > 0, ""));
          }
        });
    if (recap.isEmpty()) {
      out.addAll(failures.values());
    }
    return out;
  }

  private static int i(Matcher m, int group) {
    return Integer.parseInt(m.group(group));
  }

  /** The "msg" of ansible's JSON result (plus stderr for commands), or the raw text cut short. */
  static String reason(String json) {
    String text = json.trim();
    try {
      JsonNode node = JSON.readTree(text);
      if (node != null && node.isObject()) {
        StringBuilder sb = new StringBuilder(node.path("msg").asText(""));
        String stderr = node.path("stderr").asText("").trim();
        if (!stderr.isEmpty()) {
          sb.append(sb.length() > 0 ? " (stderr: " : "(stderr: ").append(stderr).append(')');
        }
        if (sb.length() > 0) {
          text = sb.toString();
        }
      }
    } catch (Exception e) {
      // not JSON (e.g. a yaml callback): keep the raw text
    }
    return text.length() > MAX_REASON ? text.substring(0, MAX_REASON) + "…" : text;
  }
}
