package dev.lifeboat.api.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * How a run id ({@code <runbook>@<UTC time>}, children {@code .../<step>[<item>]}) appears in a
 * URL.
 */
public final class RunIds {
  private RunIds() {}

  /**
   * {@code /api/runs/<id>}, keeping {@code @} and {@code /} readable: a child run's id has {@code
   * /}, and the API takes it as it is ({@code %2F} is refused before it reaches the API).
   */
  public static String path(String id) {
    return "/api/runs/"
        + URLEncoder.encode(id, StandardCharsets.UTF_8)
            .replace("+", "%20")
            .replace("%40", "@")
            .replace("%2F", "/");
  }

  /**
   * False for an id {@link #path} cannot carry: an empty, {@code .} or {@code ..} part between
   * slashes would be read as a path step, not as part of the id. No run has such an id.
   */
  public static boolean hasPath(String id) {
    for (String part : id.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return false;
      }
    }
    return true;
  }
}
