package dev.lifeboat.api.health;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A probe for Kubernetes or systemd, open even when tokens are configured: liveness (the process
 * answers) or readiness (the named health checks pass). It tells only up or down, nothing about
 * runs.
 */
public final class ProbeServlet extends HttpServlet {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final transient HealthCheckRegistry registry;
  private final List<String> checks;

  private ProbeServlet(HealthCheckRegistry registry, List<String> checks) {
    this.registry = registry;
    this.checks = checks;
  }

  public static ProbeServlet live() {
    return new ProbeServlet(null, List.of());
  }

  public static ProbeServlet ready(HealthCheckRegistry registry, String... checks) {
    return new ProbeServlet(registry, List.of(checks));
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    List<String> failing =
        checks.stream()
            .filter(
                name -> {
                  HealthCheck.Result r = registry.runHealthCheck(name);
                  return !r.isHealthy();
                })
            .toList();
    body.put("status", failing.isEmpty() ? "up" : "down");
    if (!failing.isEmpty()) {
      body.put("failing", failing);
    }
    res.setStatus(failing.isEmpty() ? 200 : 503);
    res.setContentType("application/json");
    res.setHeader("Cache-Control", "no-store");
    res.getOutputStream().write(JSON.writeValueAsBytes(body));
  }
}
