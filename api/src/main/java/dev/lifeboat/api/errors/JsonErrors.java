package dev.lifeboat.api.errors;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the API answers is JSON with an {@code error} field; stack traces stay in the log.
 */
public final class JsonErrors {
  private static final Logger LOG = LoggerFactory.getLogger(JsonErrors.class);

  private JsonErrors() {}

  static Response json(int status, Map<String, Object> body) {
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
  }

  /** Our own errors. */
  public static final class Api implements ExceptionMapper<ApiException> {
    @Override
    public Response toResponse(ApiException e) {
      return json(e.status(), e.body());
    }
  }

  /** A typed request body (sign-in) that is not JSON: the same plain 400 as every other body. */
  public static final class BadJson
      implements ExceptionMapper<com.fasterxml.jackson.core.JsonProcessingException> {
    @Override
    public Response toResponse(com.fasterxml.jackson.core.JsonProcessingException e) {
      ApiException bad = JsonBody.notJson(e);
      return json(bad.status(), bad.body());
    }
  }

  /**
   * Jersey's: unknown path (404), wrong method (405), unsupported media type (415) and the like.
   */
  public static final class Web implements ExceptionMapper<WebApplicationException> {
    @Override
    public Response toResponse(WebApplicationException e) {
      int status = e.getResponse().getStatus();
      String message =
          switch (status) {
            case 404 -> "not found: no such resource";
            case 405 -> "method not allowed here";
            case 415 -> "send JSON (Content-Type: application/json)";
            default -> e.getMessage();
          };
      return json(status, Map.of("error", message));
    }
  }

  /** Anything else: a 500 with an id to find the stack trace in the log. */
  public static final class Unexpected implements ExceptionMapper<Throwable> {
    @Override
    public Response toResponse(Throwable e) {
      if (e instanceof WebApplicationException w) {
        return new Web().toResponse(w);
      }
      String id = UUID.randomUUID().toString().substring(0, 8);
      LOG.error("unexpected error {}", id, e);
      String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (e instanceof io.grpc.StatusRuntimeException s) {
        return json(
            503,
            Map.of(
                "error", "Temporal is not answering: " + s.getStatus().getCode(), "incident", id));
      }
      return json(500, Map.of("error", "internal error: " + msg, "incident", id));
    }
  }
}
