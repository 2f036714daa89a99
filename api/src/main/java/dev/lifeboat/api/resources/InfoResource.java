package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.TemporalInfo;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/**
 * {@code GET /api/info}: which Temporal this Lifeboat uses and whether its runs survive a restart.
 */
@Path("/info")
@Produces(MediaType.APPLICATION_JSON)
public final class InfoResource {
  private final TemporalInfo temporal;

  public InfoResource(TemporalInfo temporal) {
    this.temporal = temporal;
  }

  @GET
  public Map<String, Object> info() {
    return Map.of("temporal", temporal.toJson());
  }
}
