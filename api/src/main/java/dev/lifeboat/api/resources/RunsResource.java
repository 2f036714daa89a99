package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.ApproverGroups;
import dev.lifeboat.api.core.RunIds;
import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.api.errors.JsonBody;
import dev.lifeboat.workflows.Approval;
import dev.lifeboat.workflows.ApprovalRefusal;
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
import java.util.Map;

/** Runs: list, look at one, approve a step, cancel. */
@Path("/runs")
@Produces(MediaType.APPLICATION_JSON)
public final class RunsResource {
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
   * A run Temporal does not know. On the embedded in-memory server, an id of the shape this API
   * hands out was a real run whose state went with the last restart, which the page shows as lost;
   * a durable Temporal forgets nothing, so there it is simply no run.
   */
  private ApiException noRun(String id) {
    if (runs.forgetsRuns() && RunService.looksLikeRunId(id)) {
      return new ApiException(
          404,
          "no run with id '" + id + "': Lifeboat restarted; this run's state was in memory",
          Map.of("lost", true));
    }
    return ApiException.notFound("no run with id '" + id + "'");
  }

  private static ApiException ended(String id, RunStatus status) {
    return new ApiException(
        409, new RunService.RunEnded(id, status).getMessage(), Map.of("status", status));
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
              m.put("warnings", s.warnings());
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
    m.put("warnings", warnings(v.steps()));
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

  /**
   * {@code {step, text}} for each step that succeeded with a result that is not whole: a COMPLETED
   * run with any is complete as a run, not as a copy (restic's "snapshot created but some source
   * files could not be read").
   */
  static java.util.List<Map<String, String>> warnings(java.util.List<StepProgress> steps) {
    return steps.stream()
        .filter(s -> s.warning() != null)
        .map(s -> Map.of("step", s.id(), "text", s.warning()))
        .toList();
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
      throw ended(id, v.status());
    }
    // who: the token's name; without tokens (loopback only) every caller is "local", told apart by
    // address
    String by =
        security == null || security.getUserPrincipal() == null
            ? "local"
            : security.getUserPrincipal().getName();
    Approval approval =
        new Approval(
            stepId,
            by,
            System.currentTimeMillis(),
            http == null ? null : http.getRemoteAddr(),
            comment,
            approvers.groupsOf(by));
    // the run's view answers most refusals at once (unless its steps could not be read); the run
    // itself checks again, so of two approvals racing for one step only one counts and the other
    // hears "already approved"
    if (!v.steps().isEmpty()) {
      ApprovalRefusal.check(v.steps(), approval).ifPresent(r -> refuse(id, v, approval, r));
    }
    try {
      runs.approve(id, approval);
    } catch (RunService.ApprovalRefused e) {
      refuse(id, v, approval, e.refusal());
    } catch (RunService.RunEnded e) {
      throw ended(id, e.status());
    } catch (RunService.ApprovalUnconfirmed e) {
      throw new ApiException(504, e.getMessage(), Map.of("step", stepId));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("approved", stepId);
    out.put("by", by);
    return Response.accepted(out).build();
  }

  private static void refuse(
      String id, RunService.RunView v, Approval approval, ApprovalRefusal refusal) {
    String stepId = approval.stepId();
    switch (refusal.reason()) {
      case NO_SUCH_STEP ->
          throw ApiException.notFound("run '" + id + "' has no step '" + stepId + "'");
      case NOT_IN_GROUP -> {
        String group =
            v.steps().stream()
                .filter(s -> ApprovalRefusal.names(stepId, s.id()) && s.approvalGroup() != null)
                .map(StepProgress::approvalGroup)
                .findFirst()
                .orElse("");
        throw new ApiException(403, refusal.message(), Map.of("group", group, "by", approval.by()));
      }
      default ->
          throw new ApiException(
              409, refusal.message(), Map.of("step", stepId, "reason", refusal.reason()));
    }
  }

  /** The optional body {@code {"comment": "..."}}; an empty body is no comment. */
  private static String comment(String body) {
    com.fasterxml.jackson.databind.JsonNode node =
        JsonBody.object(body, "{\"comment\": \"...\"}").orElse(null);
    if (node == null) {
      return null;
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
      throw ended(id, v.status());
    }
    try {
      runs.cancel(id);
    } catch (RunService.RunEnded e) {
      throw ended(id, e.status());
    }
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
