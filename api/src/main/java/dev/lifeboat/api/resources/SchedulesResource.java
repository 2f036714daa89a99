package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.core.RunbookSchedules;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The runbooks' schedules as Temporal runs them: list, pause, resume, trigger now. */
@Path("/schedules")
@Produces(MediaType.APPLICATION_JSON)
public final class SchedulesResource {
  private final RunbookSchedules schedules;
  private final RunService runs;

  public SchedulesResource(RunbookSchedules schedules, RunService runs) {
    this.schedules = schedules;
    this.runs = runs;
  }

  @GET
  public List<RunbookSchedules.View> list() {
    return schedules.list();
  }

  @GET
  @Path("/{name}")
  public RunbookSchedules.View get(@PathParam("name") String name) {
    return schedules.get(name);
  }

  @POST
  @Path("/{name}/pause")
  public RunbookSchedules.View pause(
      @PathParam("name") String name, @Context SecurityContext security) {
    return schedules.pause(name, caller(security));
  }

  @POST
  @Path("/{name}/resume")
  public RunbookSchedules.View resume(
      @PathParam("name") String name, @Context SecurityContext security) {
    return schedules.resume(name, caller(security));
  }

  @POST
  @Path("/{name}/trigger")
  public Response trigger(@PathParam("name") String name) {
    String id = schedules.trigger(name);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("schedule", name);
    out.put("links", RunsResource.links(runs, id));
    return Response.status(202).entity(out).build();
  }

  private static String caller(SecurityContext security) {
    return security == null || security.getUserPrincipal() == null
        ? "local"
        : security.getUserPrincipal().getName();
  }
}
