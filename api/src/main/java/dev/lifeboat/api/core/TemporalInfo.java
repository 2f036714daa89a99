package dev.lifeboat.api.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which Temporal Lifeboat uses, as {@code GET /api/info} tells it, and where a run's page in the
 * Temporal UI is.
 *
 * @param mode {@code dev-server} (the local server scripts/start.sh runs), {@code remote} (any
 *     other configured address) or {@code in-memory} (the embedded test server)
 * @param ui base address of the Temporal UI, or null when unknown
 */
public record TemporalInfo(String mode, String address, String namespace, String ui) {
  public static final String DEV_SERVER = "dev-server";
  public static final String REMOTE = "remote";
  public static final String IN_MEMORY = "in-memory";

  /**
   * @param declaredMode what the starter declared ({@code dev-server} from scripts/start.sh), or
   *     blank
   * @param uiUrl the configured UI address, or blank; it wins in every mode
   */
  public static TemporalInfo of(
      boolean embedded, String declaredMode, String address, String namespace, String uiUrl) {
    String mode =
        embedded ? IN_MEMORY : DEV_SERVER.equals(blankToNull(declaredMode)) ? DEV_SERVER : REMOTE;
    String ui = blankToNull(uiUrl);
    return new TemporalInfo(mode, address, namespace, ui == null ? null : ui.replaceAll("/+$", ""));
  }

  /** Only the embedded test server keeps its state in memory. */
  public boolean durable() {
    return !IN_MEMORY.equals(mode);
  }

  /**
   * The run's page in the Temporal UI, e.g. {@code
   * http://127.0.0.1:8233/namespaces/default/workflows/<id>}.
   */
  public Optional<String> workflowPage(String workflowId) {
    if (ui == null) {
      return Optional.empty();
    }
    return Optional.of(
        ui + "/namespaces/" + encode(namespace) + "/workflows/" + encode(workflowId));
  }

  /** The {@code temporal} object of {@code GET /api/info}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", mode);
    m.put("address", address);
    m.put("namespace", namespace);
    m.put("ui", ui);
    m.put("durable", durable());
    return m;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
