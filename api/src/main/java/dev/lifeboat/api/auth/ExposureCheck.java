package dev.lifeboat.api.auth;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.ServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Lifeboat listens beyond this machine only with a token: it runs as root and can restore over
 * anything.
 */
public final class ExposureCheck {
  private ExposureCheck() {}

  /**
   * Throws {@link StartupRefused} when a connector binds other than loopback and no token is
   * configured.
   */
  public static void requireTokenWhenExposed(ServerFactory server, boolean tokensConfigured) {
    requireTokenWhenExposed(server, tokensConfigured, Integer.MAX_VALUE);
  }

  /** Tokens that guard Lifeboat beyond this machine are at least this long. */
  static final int MIN_EXPOSED_TOKEN = 16;

  /**
   * As {@link #requireTokenWhenExposed(ServerFactory, boolean)}; also refuses to listen beyond
   * loopback when the shortest token configured ({@code shortestToken} characters) could be
   * guessed.
   */
  public static void requireTokenWhenExposed(
      ServerFactory server, boolean tokensConfigured, int shortestToken) {
    if (tokensConfigured && shortestToken >= MIN_EXPOSED_TOKEN) {
      return;
    }
    for (ConnectorFactory c : connectors(server)) {
      String host = c instanceof HttpConnectorFactory http ? http.getBindHost() : null;
      if (!isLoopback(host)) {
        throw new StartupRefused(
            "Lifeboat refuses to listen on "
                + (host == null || host.isBlank() ? "all interfaces" : host)
                + (tokensConfigured
                    ? " with a token of "
                        + shortestToken
                        + " characters: a token that guards it beyond this machine has at least "
                        + MIN_EXPOSED_TOKEN
                        + " (e.g. openssl rand -hex 16)"
                    : " without a token: set LIFEBOAT_API_TOKEN (or LIFEBOAT_TOKENS_FILE), or"
                        + " unset LIFEBOAT_BIND to stay on 127.0.0.1"));
      }
    }
  }

  static boolean isLoopback(String host) {
    if (host == null || host.isBlank()) {
      return false; // Jetty binds every interface
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static List<ConnectorFactory> connectors(ServerFactory server) {
    List<ConnectorFactory> out = new ArrayList<>();
    if (server instanceof SimpleServerFactory simple) {
      out.add(simple.getConnector());
    } else if (server instanceof DefaultServerFactory dflt) {
      out.addAll(dflt.getApplicationConnectors());
      out.addAll(dflt.getAdminConnectors());
    } else {
      throw new StartupRefused(
          "unknown server type "
              + server.getClass().getSimpleName()
              + ": Lifeboat cannot tell where it would listen");
    }
    return out;
  }

  /** Lifeboat will not start as configured; the message says what to change. */
  public static final class StartupRefused extends RuntimeException {
    public StartupRefused(String message) {
      super(message, null, false, false);
    }
  }
}
