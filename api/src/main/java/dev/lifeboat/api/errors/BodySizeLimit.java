package dev.lifeboat.api.errors;

import jakarta.annotation.Priority;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Response;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Refuses a request body larger than {@link #MAX_BYTES} before anything parses it: at once from
 * Content-Length, and while reading for a body sent without one (chunked). Requests to the API are
 * a few parameters; a megabyte is already far more than any runbook needs.
 */
@PreMatching
@Priority(Priorities.ENTITY_CODER)
public final class BodySizeLimit implements ContainerRequestFilter {
  public static final long MAX_BYTES = 1024 * 1024;

  @Override
  public void filter(ContainerRequestContext request) {
    if (request.getLength() > MAX_BYTES) {
      request.abortWith(JsonErrors.json(400, Map.of("error", tooLarge())));
      return;
    }
    request.setEntityStream(new Limited(request.getEntityStream()));
  }

  static String tooLarge() {
    return "the request body is larger than " + MAX_BYTES / 1024 + " KiB";
  }

  private static final class Limited extends FilterInputStream {
    private long count;

    Limited(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(long n) {
      count += n;
      if (count > MAX_BYTES) {
        throw new BadRequestException(tooLarge(), Response.status(400).build());
      }
    }
  }
}
