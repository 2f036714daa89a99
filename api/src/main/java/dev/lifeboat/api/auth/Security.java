package dev.lifeboat.api.auth;

import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.setup.Environment;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.util.EnumSet;

/**
 * Installs Lifeboat's access rules: the exposure check, the request guard on /api and /admin,
 * sign-in.
 */
public final class Security {
  private Security() {}

  /**
   * Call first in {@code run}: refuses to start (StartupRefused) before anything listens or runs.
   */
  public static void install(AuthSettings settings, ServerFactory server, Environment env) {
    Tokens tokens;
    try {
      tokens = Tokens.from(settings);
    } catch (IllegalArgumentException e) {
      throw new ExposureCheck.StartupRefused(e.getMessage());
    }
    ExposureCheck.requireTokenWhenExposed(server, tokens.configured(), tokens.shortest());
    Sessions sessions = new Sessions(tokens, Clock.systemUTC());
    RequestGuard guard;
    try {
      guard = new RequestGuard(tokens, sessions, settings.getPublicUrl());
    } catch (IllegalArgumentException e) {
      throw new ExposureCheck.StartupRefused(e.getMessage());
    }
    env.servlets()
        .addFilter("lifeboat-guard", guard)
        .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/api/*");
    env.admin()
        .addFilter("lifeboat-guard", guard)
        .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
    env.jersey().register(new SessionResource(tokens, sessions));
    env.jersey().register(AdminOnlyFilter.class);
  }
}
