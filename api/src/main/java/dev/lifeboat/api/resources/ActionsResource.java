package dev.lifeboat.api.resources;

import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.runbook.ActionSignature;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Collection;
import java.util.Map;

/**
 * The actions runbook steps can use, with their arguments: the reference a runbook author needs.
 */
@Path("/actions")
@Produces(MediaType.APPLICATION_JSON)
public final class ActionsResource {
  private final RunbookCatalog catalog;

  public ActionsResource(RunbookCatalog catalog) {
    this.catalog = catalog;
  }

  @GET
  public Map<String, Collection<ActionSignature>> list() {
    return Map.of("actions", catalog.actions().values());
  }
}
