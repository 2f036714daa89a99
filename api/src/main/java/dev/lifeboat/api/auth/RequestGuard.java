package dev.lifeboat.api.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The door of {@code /api} and {@code /admin}: admin tasks stay shut, state-changing calls must be
 * same-origin JSON, and when tokens are configured every call (but the probes and the sign-in) must
 * present one, as {@code Authorization: Bearer} or the page's session cookie. The caller becomes
 * the request's user principal, which JAX-RS resources read from their SecurityContext.
 */
public final class RequestGuard extends HttpFilter {
  private static final Logger LOG = LoggerFactory.getLogger(RequestGuard.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

  /** Probes work without a token, and signing in is how a token is presented to the page. */
  private static final Set<String> OPEN =
      Set.of("/admin/health/live", "/admin/health/ready", "/api/session");

  private final Tokens tokens;
  private final Sessions sessions;
  private final String publicOrigin;
  private final String publicHost;

  RequestGuard(Tokens tokens, Sessions sessions, String publicUrl) {
    this.tokens = tokens;
    this.sessions = sessions;
    URI url = publicUrl.isEmpty() ? null : URI.create(publicUrl);
    this.publicOrigin = url == null ? null : origin(url);
    this.publicHost = url == null ? null : url.getHost().toLowerCase(Locale.ROOT);
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    // decoded and canonical, as the servlet mapping saw it: "/admin/%74asks" is "/admin/tasks" here
    String path =
        req.getContextPath()
            + req.getServletPath()
            + (req.getPathInfo() == null ? "" : req.getPathInfo());
    String method = req.getMethod().toUpperCase(Locale.ROOT);
    if (path.equals("/admin/tasks") || path.startsWith("/admin/tasks/")) {
      refuse(res, 404, "admin tasks are disabled in Lifeboat", req, false);
      return;
    }
    if (!tokens.configured() && !loopbackHost(req)) {
      // only reachable through a name that resolves to this machine: DNS rebinding of a web page
      refuse(
          res,
          403,
          "Host '"
              + req.getHeader("Host")
              + "' is not Lifeboat's (use localhost or set LIFEBOAT_PUBLIC_URL)",
          req,
          true);
      return;
    }
    if (!SAFE_METHODS.contains(method)) {
      String crossSite = crossSite(req);
      if (crossSite != null) {
        refuse(res, 403, crossSite, req, true);
        return;
      }
      String notJson = notJson(req);
      if (notJson != null) {
        refuse(res, 415, notJson, req, false);
        return;
      }
    }
    if (!tokens.configured()) {
      chain.doFilter(req, res);
      return;
    }
    Optional<Caller> caller = authenticate(req);
    if (caller.isEmpty()) {
      if (OPEN.contains(path)) {
        chain.doFilter(req, res);
        return;
      }
      res.setHeader("WWW-Authenticate", "Bearer realm=\"lifeboat\"");
      refuse(
          res,
          401,
          req.getHeader("Authorization") == null && sessionCookie(req) == null
              ? "sign in: send Authorization: Bearer <token>, a token of LIFEBOAT_API_TOKEN or the tokens file (the CLI sends $LIFEBOAT_API_TOKEN)"
              : "the token or session is not valid",
          req,
          false);
      return;
    }
    if (caller.get().role() == Role.READ
        && !SAFE_METHODS.contains(method)
        && !path.equals("/api/session")) {
      refuse(
          res,
          403,
          "token '" + caller.get().name() + "' is read-only: it cannot " + method + " " + path,
          req,
          true);
      return;
    }
    chain.doFilter(new AsCaller(req, caller.get()), res);
  }

  private Optional<Caller> authenticate(HttpServletRequest req) {
    String auth = req.getHeader("Authorization");
    if (auth != null) {
      // a header that is there decides: a wrong Bearer is not rescued by a cookie
      return auth.regionMatches(true, 0, "Bearer ", 0, 7)
          ? tokens.find(auth.substring(7).strip())
          : Optional.empty();
    }
    return sessions.find(sessionCookie(req));
  }

  static String sessionCookie(HttpServletRequest req) {
    Cookie[] cookies = req.getCookies();
    if (cookies != null) {
      for (Cookie c : cookies) {
        if (Sessions.COOKIE.equals(c.getName())) {
          return c.getValue();
        }
      }
    }
    return null;
  }

  /** Why a state-changing call comes from another site, or null when it does not. */
  private String crossSite(HttpServletRequest req) {
    String fetchSite = req.getHeader("Sec-Fetch-Site");
    if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
      return "cross-site request refused (Sec-Fetch-Site: " + fetchSite + ")";
    }
    String origin = req.getHeader("Origin");
    if (origin == null) {
      return null; // curl, the CLI, scripts: no browser, no ambient credentials to abuse
    }
    String given = origin.strip().toLowerCase(Locale.ROOT);
    if (given.equals(publicOrigin) || given.equals(ownOrigin(req))) {
      return null;
    }
    return "cross-site request refused: Origin "
        + origin
        + " is not Lifeboat's"
        + (publicOrigin == null
            ? " (behind a proxy set LIFEBOAT_PUBLIC_URL)"
            : " (" + publicOrigin + ")");
  }

  private static String notJson(HttpServletRequest req) {
    String type = req.getContentType();
    if (type == null) {
      boolean body = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
      return body ? "send JSON (Content-Type: application/json)" : null;
    }
    String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    return media.equals("application/json")
        ? null
        : "send JSON (Content-Type: application/json), not " + media;
  }

  private static String ownOrigin(HttpServletRequest req) {
    String host = req.getHeader("Host");
    if (host == null) {
      return null;
    }
    String proto = req.getHeader("X-Forwarded-Proto");
    String scheme = proto != null ? proto.split(",", 2)[0].strip() : req.getScheme();
    return (scheme + "://" + host).toLowerCase(Locale.ROOT);
  }

  private boolean loopbackHost(HttpServletRequest req) {
    String host = req.getServerName(); // from the Host header, without the port
    if (host == null) {
      return true;
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.equals(publicHost)) {
      return true;
    }
    return host.equals("localhost")
        || host.endsWith(".localhost")
        || isIpv4Loopback(host)
        || host.equals("[::1]")
        || host.equals("::1");
  }

  private static final java.util.regex.Pattern IPV4 =
      java.util.regex.Pattern.compile("127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  /**
   * A literal address in 127.0.0.0/8: a name that merely begins with "127." (127.evil.example,
   * 127.0.0.1.nip.io) is anyone's, and a page served from it would pass as Lifeboat's own.
   */
  static boolean isIpv4Loopback(String host) {
    java.util.regex.Matcher m = IPV4.matcher(host);
    if (!m.matches()) {
      return false;
    }
    for (int g = 1; g <= 3; g++) {
      if (Integer.parseInt(m.group(g)) > 255) {
        return false;
      }
    }
    return true;
  }

  private static String origin(URI url) {
    if (url.getScheme() == null || url.getHost() == null) {
      throw new IllegalArgumentException(
          "LIFEBOAT_PUBLIC_URL must be a URL like https://lifeboat.example.org, not " + url);
    }
    return (url.getScheme()
            + "://"
            + url.getHost()
            + (url.getPort() > 0 ? ":" + url.getPort() : ""))
        .toLowerCase(Locale.ROOT);
  }

  private static void refuse(
      HttpServletResponse res, int status, String message, HttpServletRequest req, boolean warn)
      throws IOException {
    if (warn) {
      LOG.warn(
          "refused {} {} from {}: {}",
          req.getMethod(),
          req.getRequestURI(),
          req.getRemoteAddr(),
          message);
    } else {
      LOG.debug(
          "refused {} {} from {}: {}",
          req.getMethod(),
          req.getRequestURI(),
          req.getRemoteAddr(),
          message);
    }
    writeError(res, status, message);
  }

  static void writeError(HttpServletResponse res, int status, String message) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("status", status);
    res.setStatus(status);
    res.setContentType("application/json");
    res.setCharacterEncoding("UTF-8");
    res.getOutputStream().write(JSON.writeValueAsBytes(body));
  }

  /** The request as the authenticated caller: JAX-RS's SecurityContext reads these. */
  private static final class AsCaller extends HttpServletRequestWrapper {
    private final Caller caller;

    AsCaller(HttpServletRequest req, Caller caller) {
      super(req);
      this.caller = caller;
    }

    @Override
    public Principal getUserPrincipal() {
      return caller;
    }

    @Override
    public String getRemoteUser() {
      return caller.name();
    }

    @Override
    public boolean isUserInRole(String role) {
      return caller.role().name().equalsIgnoreCase(role)
          || caller.role() == Role.ADMIN && "read".equalsIgnoreCase(role);
    }

    @Override
    public String getAuthType() {
      return "BEARER";
    }
  }
}
