package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.api.errors.ApiException;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Param;
import dev.lifeboat.runbook.ParamBinder;
import dev.lifeboat.runbook.Runbook;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The runbook catalogue and starting runs. */
@Path("/runbooks")
@Produces(MediaType.APPLICATION_JSON)
public final class RunbooksResource {
  private final RunbookCatalog catalog;
  private final RunService runs;

  public RunbooksResource(RunbookCatalog catalog, RunService runs) {
    this.catalog = catalog;
    this.runs = runs;
  }

  /** One runbook in the catalogue. */
  public record RunbookView(
      String name,
      String description,
      String file,
      boolean valid,
      String reason,
      Integer line,
      List<ParamView> params,
      List<String> schedules,
      List<String> steps) {}

  /**
   * One declared parameter; {@code under} and {@code allowed} are the author's limits of path and
   * program, {@code min} and {@code max} of an integer (null for none).
   */
  public record ParamView(
      String name,
      String type,
      Object defaultValue,
      boolean required,
      String description,
      List<String> under,
      List<String> allowed,
      Long min,
      Long max) {}

  @GET
  public List<RunbookView> list() {
    return catalog.all().stream().map(RunbooksResource::view).toList();
  }

  @GET
  @Path("/{name}")
  public RunbookView get(@PathParam("name") String name) {
    return view(
        catalog
            .find(name)
            .orElseThrow(() -> ApiException.notFound("no runbook named '" + name + "'")));
  }

  @POST
  @Path("/reload")
  public Map<String, Object> reload() {
    List<RunbookView> all = catalog.reload().stream().map(RunbooksResource::view).toList();
    return Map.of("runbooks", all, "invalid", all.stream().filter(r -> !r.valid()).count());
  }

  @POST
  @Path("/{name}/runs")
  @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
  public Response start(@PathParam("name") String name, String text) {
    // RequestGuard lets only application/json (or no body) through; an empty body means no params
    Map<String, Object> body = parseBody(text);
    LoadedRunbook entry =
        catalog
            .find(name)
            .orElseThrow(() -> ApiException.notFound("no runbook named '" + name + "'"));
    if (entry instanceof LoadedRunbook.Invalid bad) {
      throw new ApiException(
          409,
          "runbook '"
              + name
              + "' is invalid and cannot run: "
              + bad.file()
              + (bad.line() > 0 ? ":" + bad.line() : "")
              + ": "
              + bad.reason(),
          Map.of("runbook", name));
    }
    Runbook runbook = entry.runbook().orElseThrow();
    Object params = body == null ? Map.of() : body.getOrDefault("params", Map.of());
    if (body != null) {
      for (String key : body.keySet()) {
        if (!key.equals("params")) {
          throw ApiException.badRequest(
              "unknown field '" + key + "' in the request body (expected {\"params\": {...}})");
        }
      }
    }
    if (!(params instanceof Map<?, ?> given)) {
      throw ApiException.badRequest("'params' must be a JSON object");
    }
    String id;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> p = params == null ? Map.of() : (Map<String, Object>) given;
      id = runs.start(runbook, p);
    } catch (ParamBinder.InvalidParam e) {
      throw new ApiException(400, e.getMessage(), Map.of("param", e.param()));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", id);
    out.put("runbook", name);
    out.put("links", RunsResource.links(runs, id));
    return Response.status(202).entity(out).build();
  }

  /**
   * The steps a run with these params would take; starts nothing (a POST only because params are a
   * body).
   */
  @POST
  @Path("/{name}/plan")
  @jakarta.ws.rs.Consumes(MediaType.WILDCARD)
  public Map<String, Object> plan(@PathParam("name") String name, String text) {
    Map<String, Object> body = parseBody(text);
    LoadedRunbook entry =
        catalog
            .find(name)
            .orElseThrow(() -> ApiException.notFound("no runbook named '" + name + "'"));
    if (entry instanceof LoadedRunbook.Invalid bad) {
      throw new ApiException(
          409,
          "runbook '"
              + name
              + "' is invalid: "
              + bad.file()
              + (bad.line() > 0 ? ":" + bad.line() : "")
              + ": "
              + bad.reason(),
          Map.of("runbook", name));
    }
    Object params = body == null ? Map.of() : body.getOrDefault("params", Map.of());
    if (body != null && !body.keySet().stream().allMatch("params"::equals)) {
      throw ApiException.badRequest(
          "unknown field in the request body (expected {\"params\": {...}})");
    }
    if (!(params instanceof Map<?, ?> given)) {
      throw ApiException.badRequest("'params' must be a JSON object");
    }
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> p = (Map<String, Object>) given;
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("runbook", name);
      out.put(
          "steps",
          dev.lifeboat.api.core.RunPlan.of(
              entry.runbook().orElseThrow(),
              p,
              catalog.actions(),
              catalog.libraryFor(entry.runbook().orElseThrow())));
      return out;
    } catch (ParamBinder.InvalidParam e) {
      throw new ApiException(400, e.getMessage(), Map.of("param", e.param()));
    }
  }

  private static Map<String, Object> parseBody(String text) {
    return dev.lifeboat.api.errors.JsonBody.object(text, "{\"params\": {...}}")
        .map(
            node -> {
              @SuppressWarnings("unchecked")
              Map<String, Object> map = JSON.convertValue(node, Map.class);
              return map;
            })
        .orElse(null);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  static RunbookView view(LoadedRunbook r) {
    if (r instanceof LoadedRunbook.Invalid bad) {
      return new RunbookView(
          bad.name(),
          "",
          bad.file(),
          false,
          bad.reason(),
          bad.line(),
          List.of(),
          List.of(),
          List.of());
    }
    Runbook rb = r.runbook().orElseThrow();
    List<ParamView> params = rb.params().stream().map(RunbooksResource::view).toList();
    return new RunbookView(
        rb.name(),
        rb.description(),
        rb.file(),
        true,
        null,
        null,
        params,
        rb.schedules().stream().map(dev.lifeboat.runbook.ScheduleSpec::name).toList(),
        rb.steps().stream().map(s -> s.id()).toList());
  }

  private static ParamView view(Param p) {
    return new ParamView(
        p.name(),
        p.type().label(),
        p.defaultValue(),
        p.required(),
        p.description(),
        p.under(),
        p.allowed(),
        p.min(),
        p.max());
  }
}
