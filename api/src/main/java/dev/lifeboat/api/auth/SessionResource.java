package dev.lifeboat.api.auth;

import dev.lifeboat.api.errors.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.Map;

/** The web page's sign-in: a token in, an HttpOnly SameSite=Strict session cookie out. */
@Path("/session")
@Produces(MediaType.APPLICATION_JSON)
public final class SessionResource {
  private final Tokens tokens;
  private final Sessions sessions;

  SessionResource(Tokens tokens, Sessions sessions) {
    this.tokens = tokens;
    this.sessions = sessions;
  }

  /** The sign-in request: {@code {"token": "..."}}. */
  public record SignIn(String token) {}

  /** Who is signed in; {@code local} (no token needed) when Lifeboat has no tokens. */
  @GET
  public Map<String, Object> who(@Context SecurityContext security) {
    if (!tokens.configured()) {
      return Map.of("name", "local", "role", "admin", "tokens", false);
    }
    if (!(security.getUserPrincipal() instanceof Caller c)) {
      throw new ApiException(401, "not signed in", Map.of());
    }
    return Map.of(
        "name",
        c.name(),
        "role",
        c.role().name().toLowerCase(java.util.Locale.ROOT),
        "tokens",
        true);
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public Response signIn(SignIn body, @Context HttpServletRequest request) {
    if (!tokens.configured()) {
      throw new ApiException(409, "Lifeboat has no tokens configured: no sign-in needed", Map.of());
    }
    String token = body == null ? null : body.token();
    Caller caller = token == null ? null : tokens.find(token.strip()).orElse(null);
    if (caller != null && !sessions.room()) {
      throw new ApiException(
          503, "too many open sessions; try again later or use the Bearer header", Map.of());
    }
    String id = caller == null ? null : sessions.open(token.strip()).orElse(null);
    if (id == null) {
      return Response.status(401)
          .type(MediaType.APPLICATION_JSON_TYPE)
          .header("WWW-Authenticate", "Bearer realm=\"lifeboat\"")
          .entity(Map.of("error", "that token is not valid", "status", 401))
          .build();
    }
    return Response.ok(
            Map.of(
                "name",
                caller.name(),
                "role",
                caller.role().name().toLowerCase(java.util.Locale.ROOT)))
        .header("Set-Cookie", cookie(id, Sessions.LIFETIME.toSeconds(), request))
        .header("Cache-Control", "no-store")
        .build();
  }

  @DELETE
  public Response signOut(@Context HttpServletRequest request) {
    sessions.close(RequestGuard.sessionCookie(request));
    return Response.ok(Map.of("signedOut", true))
        .header("Set-Cookie", cookie("", 0, request))
        .build();
  }

  private static String cookie(String value, long maxAge, HttpServletRequest request) {
    boolean https =
        request.isSecure() || "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
    return Sessions.COOKIE
        + "="
        + value
        + "; Path=/; Max-Age="
        + maxAge
        + "; HttpOnly; SameSite=Strict"
        + (https ? "; Secure" : "");
  }
}
