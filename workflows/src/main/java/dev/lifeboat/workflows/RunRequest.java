package dev.lifeboat.workflows;

import dev.lifeboat.runbook.Runbook;
import java.util.Map;

/**
 * The input of a run: the parsed runbook, the checked parameters, and the child runbooks it may
 * call. Carrying the definitions makes a run independent of later edits to the YAML files.
 */
public record RunRequest(
    Runbook runbook, Map<String, Object> params, Map<String, Runbook> library) {
  public RunRequest {
    params = params == null ? Map.of() : params;
    library = library == null ? Map.of() : library;
  }
}
