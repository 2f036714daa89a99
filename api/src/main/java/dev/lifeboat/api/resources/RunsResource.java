package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.ApproverGroups;
import dev.lifeboat.api.core.RunIds;
import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.workflows.Approval;
import dev.lifeboat.workflows.RunStatus;
import dev.lifeboat.workflows.StepProgress;
import jakarta.servlet.http.HttpServletRequest;
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

/** Runs: list, look at one, approve a step, cancel. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public final class RunsResource {
  // a key given twice is refused, not read as its last value
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();
  private final RunService runs;
  private final ApproverGroups approvers;

  public RunsResource(RunService runs) {
    this(runs, ApproverGroups.none());
  }

  public RunsResource(RunService runs, ApproverGroups approvers) {
    this.runs = runs;
    this.approvers = approvers;
  }

  /**
   * A run Temporal does not know. An id of the shape this API hands out was a real run: on the
   * embedded in-memory server its state went with the last restart, which the page shows as lost.
   */
  private static ApiException noRun(String id) {
    if (RunService.looksLikeRunId(id)) {
      return new ApiException(
          404,
          "no run with id '" + id + "': Lifeboat restarted; this run's state was in memory",
          Map.of("lost", true));
    }
    return ApiException.notFound("no run with id '" + id + "'");
  }

  @GET
  public java.util.List<Map<String, Object>> list() {
    return runs.list().stream()
        .map(
            s -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("id", s.id());
              m.put("runbook", s.runbook());
              m.put("status", s.status());
              m.put("startedAt", s.startedAt());
              m.put("endedAt", s.endedAt());
              if (s.parent() != null) {
                m.put("parent", s.parent());
              }
              m.put("links", links(runs, s.id()));
              return m;
            })
        .toList();
  }

  @GET
  @Path("/{id: .+}")
  public Map<String, Object> get(@PathParam("id") String id) {
    RunService.RunView v = runs.get(id).orElseThrow(() -> noRun(id));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", v.id());
    m.put("runbook", v.runbook());
    m.put("status", v.status());
    m.put("startedAt", v.startedAt());
    m.put("endedAt", v.endedAt());
    long end = v.endedAt() > 0 ? v.endedAt() : System.currentTimeMillis();
    m.put("elapsedMs", v.startedAt() > 0 ? end - v.startedAt() : 0);
    m.put("error", v.error());
    StepProgress current =
        v.steps().stream()
            .filter(
                s ->
                    s.state() == dev.lifeboat.workflows.StepState.RUNNING
                        || s.state() == dev.lifeboat.workflows.StepState.WAITING_FOR_APPROVAL)
            .findFirst()
            .orElse(null);
    m.put("currentStep", current == null ? null : current.id());
    m.put("steps", v.steps());
    if (v.parent() != null) {
      m.put("parent", v.parent());
    }
    if (v.note() != null) {
      m.put("note", v.note());
    }
    m.put("links", links(runs, id));
    return m;
  }

  @POST
  @Path("/{id: .+}/approve/{stepId}")
  public Response approve(
      @PathParam("id") String id,
      @PathParam("stepId") String stepId,
      @Context SecurityContext security,
      @Context HttpServletRequest http,
      String body) {
    String comment = comment(body);
    RunService.RunView v = runs.get(id).orElseThrow(() -> noRun(id));
    if (v.status() != RunStatus.RUNNING && v.status() != RunStatus.WAITING_FOR_APPROVAL) {
      throw new ApiException(
          409, "run '" + id + "' is " + v.status() + "; nothing to approve", Map.of());
    }
    List<StepProgress> steps =
        v.steps().stream()
            .filter(s -> s.id().equals(stepId) || s.id().startsWith(stepId + "["))
            .toList();
    if (steps.isEmpty()) {
      throw ApiException.notFound("run '" + id + "' has no step '" + stepId + "'");
    }
    // who: the token's name; without tokens (loopback only) every caller is "local", told apart by
    // address
    String by =
        security == null || security.getUserPrincipal() == null
            ? "local"
            : security.getUserPrincipal().getName();
    List<String> groups = approvers.groupsOf(by);
    for (StepProgress s : steps) {
      if (s.approvalGroup() != null && !groups.contains(s.approvalGroup())) {
        throw new ApiException(
            403,
            "step '"
                + s.id()
                + "' needs an approver of group '"
                + s.approvalGroup()
                + "'; '"
                + by
                + "' is not one",
            Map.of("group", s.approvalGroup(), "by", by));
      }
    }
    Approval approval =
        new Approval(
            stepId,
            by,
            System.currentTimeMillis(),
            http == null ? null : http.getRemoteAddr(),
            comment,
            groups);
    runs.approve(id, approval);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("approved", stepId);
    out.put("by", by);
    return Response.accepted(out).build();
  }

  /** The optional body {@code {"comment": "..."}}; an empty body is no comment. */
  private static String comment(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    com.fasterxml.jackson.databind.JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ApiException.badRequest(
          "the request body is not valid JSON: " + e.getOriginalMessage());
    }
    if (!node.isObject()) {
      throw ApiException.badRequest(
          "the request body must be a JSON object like {\"comment\": \"...\"}");
    }
    java.util.Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!n.equals("comment")) {
        throw ApiException.badRequest(
            "unknown field '" + n + "' in the request body (expected {\"comment\": \"...\"})");
      }
    }
    com.fasterxml.jackson.databind.JsonNode c = node.get("comment");
    if (c == null || c.isNull()) {
      return null;
    }
    if (!c.isTextual()) {
      throw ApiException.badRequest("'comment' must be a text");
    }
    if (c.asText().length() > 4096) {
      throw ApiException.badRequest("'comment' is longer than 4096 characters");
    }
    return c.asText();
  }

  @POST
  @Path("/{id: .+}/cancel")
  public Response cancel(@PathParam("id") String id) {
    RunService.RunView v = runs.get(id).orElseThrow(() -> noRun(id));
    if (v.status() != RunStatus.RUNNING && v.status() != RunStatus.WAITING_FOR_APPROVAL) {
      throw new ApiException(409, "run '" + id + "' already ended (" + v.status() + ")", Map.of());
    }
    runs.cancel(id);
    return Response.accepted(Map.of("id", id, "cancel", "requested")).build();
  }

  /** The run's API addresses and, when the Temporal UI's address is known, its page there. */
  static Map<String, String> links(RunService runs, String id) {
    String self = RunIds.path(id);
    Map<String, String> links = new LinkedHashMap<>();
    links.put("self", self);
    links.put("cancel", self + "/cancel");
    links.put("approve", self + "/approve/{stepId}");
    runs.temporalPage(id).ifPresent(page -> links.put("temporal", page));
    return links;
  }
}
