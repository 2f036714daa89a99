package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.RunIds;
import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.StepProgress;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs: list, look at one, approve a step, cancel. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public final class RunsResource {
  private final RunService runs;

  public RunsResource(RunService runs) {
    this.runs = runs;
  }

  @GET
  public java.util.List<Map<String, Object>> list() {
    return runs.list().stream().map(s -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", s.id());
      m.put("runbook", s.runbook());
      m.put("status", s.status());
      m.put("startedAt", s.startedAt());
      m.put("endedAt", s.endedAt());
      if (s.parent() != null) {
        m.put("parent", s.parent());
      }
      m.put("links", links(s.id()));
      return m;
    }).toList();
  }

  @GET
  @Path("/{id: .+}")
  public Map<String, Object> get(@PathParam("id") String id) {
    RunService.RunView v = runs.get(id).orElseThrow(() -> ApiException.notFound("no run with id '" + id + "'"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("runbook", v.runbook());
    m.put("status", v.status());
    m.put("startedAt", v.startedAt());
    m.put("endedAt", v.endedAt());
    long end = v.endedAt() > 0 ? v.endedAt() : System.currentTimeMillis();
    m.put("elapsedMs", v.startedAt() > 0 ? end - v.startedAt() : 0);
    m.put("error", v.error());
    StepProgress current = v.steps().stream()
        .filter(s -> s.state() == dev.lifeboat.workflows.StepState.RUNNING
            || s.state() == dev.lifeboat.workflows.StepState.WAITING_FOR_APPROVAL)
        .findFirst().orElse(null);
    m.put("currentStep", current == null ? null : current.id());
    m.put("steps", v.steps());
    if (v.parent() != null) {
      m.put("parent", v.parent());
    }
    if (v.note() != null) {
      m.put("note", v.note());
    }
    m.put("links", links(id));
    return m;
  }

  @POST
  @Path("/{id: .+}/approve/{stepId}")
  public Response approve(@PathParam("id") String id, @PathParam("stepId") String stepId) {
    RunService.RunView v = runs.get(id).orElseThrow(() -> ApiException.notFound("no run with id '" + id + "'"));
    if (v.status() != RunStatus.RUNNING && v.status() != RunStatus.WAITING_FOR_APPROVAL) {
      throw new ApiException(409, "run '" + id + "' is " + v.status() + "; nothing to approve", Map.of());
    }
    boolean known = v.steps().stream().anyMatch(s -> s.id().equals(stepId) || s.id().startsWith(stepId + "["));
    if (!known) {
      throw ApiException.notFound("run '" + id + "' has no step '" + stepId + "'");
    }
    runs.approve(id, stepId);
    return Response.accepted(Map.of("id", id, "approved", stepId)).build();
  }

  @POST
  @Path("/{id: .+}/cancel")
  public Response cancel(@PathParam("id") String id) {
    RunService.RunView v = runs.get(id).orElseThrow(() -> ApiException.notFound("no run with id '" + id + "'"));
    if (v.status() != RunStatus.RUNNING && v.status() != RunStatus.WAITING_FOR_APPROVAL) {
      throw new ApiException(409, "run '" + id + "' already ended (" + v.status() + ")", Map.of());
    }
    runs.cancel(id);
    return Response.accepted(Map.of("id", id, "cancel", "requested")).build();
  }

  static Map<String, String> links(String id) {
    String self = RunIds.path(id);
    return Map.of(
        "self", self,
        "cancel", self + "/cancel",
        "approve", self + "/approve/{stepId}");
  }
}
