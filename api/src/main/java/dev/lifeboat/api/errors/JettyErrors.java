package dev.lifeboat.api.errors;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a path it will not decode, an unknown page, a request it cannot parse) as the
 * same JSON the API answers, {@code {"error": ..., "status": N}}, instead of an HTML page, whatever
 * the client accepts.
 */
public final class JettyErrors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JettyErrors() {}

  /**
   * On the application and admin contexts, and on the server once it starts (Dropwizard sets its
   * own there).
   */
  public static void install(io.dropwizard.core.setup.Environment env) {
    env.getApplicationContext().setErrorHandler(new ForContext());
    env.getAdminContext().setErrorHandler(new ForContext());
    env.lifecycle()
        .addEventListener(
            new org.eclipse.jetty.util.component.LifeCycle.Listener() {
              @Override
              public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle server) {
                if (server instanceof org.eclipse.jetty.server.Server s) {
                  s.setErrorHandler(new ForServer());
                }
              }
            });
  }

  static String body(int status, String message) {
    Map<String, Object> b = new LinkedHashMap<>();
    String reason = HttpStatus.getMessage(status);
    b.put(
        "error",
        message == null || message.isBlank() || message.equals(reason)
            ? reason.toLowerCase(java.util.Locale.ROOT)
            : reason.toLowerCase(java.util.Locale.ROOT) + ": " + message);
    b.put("status", status);
    try {
      return JSON.writeValueAsString(b);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** For a servlet context (application and admin). */
  public static final class ForContext extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
    public ForContext() {
      setShowStacks(false);
    }

    @Override
    protected boolean generateAcceptableResponse(
        Request request,
        Response response,
        Callback callback,
        String contentType,
        List<Charset> charsets,
        int code,
        String message,
        Throwable cause)
        throws java.io.IOException {
      return super.generateAcceptableResponse(
          request, response, callback, "application/json", charsets, code, message, cause);
    }

    @Override
    protected void writeErrorJson(
        Request request, PrintWriter writer, int code, String message, Throwable cause) {
      writer.write(body(code, message));
    }
  }

  /** For the server: errors before a context is chosen, and requests Jetty cannot parse. */
  public static final class ForServer extends org.eclipse.jetty.server.handler.ErrorHandler {
    public ForServer() {
      setShowStacks(false);
    }

    @Override
    protected boolean generateAcceptableResponse(
        Request request,
        Response response,
        Callback callback,
        String contentType,
        List<Charset> charsets,
        int code,
        String message,
        Throwable cause)
        throws java.io.IOException {
      return super.generateAcceptableResponse(
          request, response, callback, "application/json", charsets, code, message, cause);
    }

    @Override
    protected void writeErrorJson(
        Request request, PrintWriter writer, int code, String message, Throwable cause) {
      writer.write(body(code, message));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
      fields.put(HttpHeader.CONTENT_TYPE, "application/json");
      return ByteBuffer.wrap(
          body(status, reason).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
