package dev.lifeboat.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.assets.AssetsBundle;
import io.dropwizard.servlets.assets.AssetServlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The web page's files, served from {@code /assets} in the jar at {@code /}. A path that names no
 * file answers 404 with the JSON error every other error has, {@code {"error": "no such page:
 * /path"}}, instead of an empty body.
 */
final class PageAssets extends AssetsBundle {
  private static final ObjectMapper JSON = new ObjectMapper();

  PageAssets() {
    super("/assets", "/", "index.html", "ui");
  }

  @Override
  protected AssetServlet createServlet() {
    return new AssetServlet(
        getResourcePath(),
        getUriPath(),
        getIndexFile(),
        getDefaultMediaType(),
        StandardCharsets.UTF_8) {
      @Override
      protected void doGet(HttpServletRequest request, HttpServletResponse response)
          throws ServletException, IOException {
        NotFound watched = new NotFound(response);
        super.doGet(request, watched);
        if (watched.missing && !response.isCommitted()) {
          response.resetBuffer();
          response.setStatus(HttpServletResponse.SC_NOT_FOUND);
          response.setContentType("application/json");
          response.setCharacterEncoding("UTF-8");
          response
              .getOutputStream()
              .write(
                  JSON.writeValueAsBytes(
                      Map.of("error", "no such page: " + request.getRequestURI())));
        }
      }
    };
  }

  /** Notes a 404 instead of letting it through, so the JSON answer can replace it. */
  private static final class NotFound extends HttpServletResponseWrapper {
    boolean missing;

    NotFound(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void sendError(int status) throws IOException {
      if (status == SC_NOT_FOUND) {
        missing = true;
      } else {
        super.sendError(status);
      }
    }

    @Override
    public void sendError(int status, String message) throws IOException {
      if (status == SC_NOT_FOUND) {
        missing = true;
      } else {
        super.sendError(status, message);
      }
    }

    @Override
    public void setStatus(int status) {
      if (status == SC_NOT_FOUND) {
        missing = true;
      } else {
        super.setStatus(status);
      }
    }
  }
}
