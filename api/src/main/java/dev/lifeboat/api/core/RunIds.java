package dev.lifeboat.api.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * How a run id ({@code <runbook>@<UTC time>}, children {@code .../<step>[<item>]}) appears in a
 * URL.
 */
public final class RunIds {
  private RunIds() {}

  /** {@code /api/runs/<id>}, keeping {@code @} and {@code /} readable. */
  public static String path(String id) {
    return "/api/runs/"
        + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("%40", "@").replace("%2F", "/");
  }
}
