package dev.lifeboat.api.auth;

import dev.lifeboat.api.errors.ApiException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;

/**
 * Refuses {@link AdminOnly} resource methods to read-only tokens, whatever path led to the method.
 */
final class AdminOnlyFilter implements ContainerRequestFilter {
  @Context private ResourceInfo resource;

  @Override
  public void filter(ContainerRequestContext request) {
    var method = resource.getResourceMethod();
    if (method == null || !method.isAnnotationPresent(AdminOnly.class)) {
      return;
    }
    if (request.getSecurityContext().getUserPrincipal() instanceof Caller c
        && c.role() != Role.ADMIN) {
      throw new ApiException(
          403,
          "token '" + c.name() + "' is read-only: it cannot download file contents",
          java.util.Map.of());
    }
  }
}
