package dev.lifeboat.api.errors;

import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/** An error answered as JSON {@code {"error": ..., ...details}} with the given status. */
public final class ApiException extends RuntimeException {
  private final int status;
  private final Map<String, Object> details;

  public ApiException(Response.Status status, String message) {
    this(status.getStatusCode(), message, Map.of());
  }

  public ApiException(int status, String message, Map<String, Object> details) {
    super(message);
    this.status = status;
    this.details = new LinkedHashMap<>(details);
  }

  public int status() {
    return status;
  }

  public Map<String, Object> body() {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("error", getMessage());
    b.putAll(details);
    return b;
  }

  public static ApiException notFound(String what) {
    return new ApiException(Response.Status.NOT_FOUND, what);
  }

  public static ApiException badRequest(String what) {
    return new ApiException(Response.Status.BAD_REQUEST, what);
  }
}
