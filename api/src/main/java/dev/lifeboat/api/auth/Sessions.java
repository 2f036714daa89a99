package dev.lifeboat.api.auth;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Web page sign-ins: an opaque random cookie value stands for a token, so the token itself never
 * sits in the browser. Kept in memory (a restart signs everyone out) and checked against the
 * current tokens on every request, so removing a token ends its sessions.
 */
final class Sessions {
  static final String COOKIE = "lifeboat_session";
  static final Duration LIFETIME = Duration.ofHours(12);
  private static final int MAX = 1000;

  private record Session(byte[] tokenDigest, Instant expires) {}

  private final SecureRandom random = new SecureRandom();
  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Tokens tokens;
  private final Clock clock;

  Sessions(Tokens tokens, Clock clock) {
    this.tokens = tokens;
    this.clock = clock;
  }

  /** Whether another session may open (expired ones are dropped first); the count is bounded. */
  boolean room() {
    Instant now = clock.instant();
    byId.values().removeIf(s -> s.expires().isBefore(now));
    return byId.size() < MAX;
  }

  /**
   * A new session for this token, or empty when the token is not one of ours or there is no room.
   */
  Optional<String> open(String token) {
    if (tokens.find(token).isEmpty() || !room()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    byId.put(key(id), new Session(Tokens.digest(token), now.plus(LIFETIME)));
    return Optional.of(id);
  }

  Optional<Caller> find(String id) {
    if (id == null || id.isEmpty()) {
      return Optional.empty();
    }
    Session s = byId.get(key(id));
    if (s == null || s.expires().isBefore(clock.instant())) {
      return Optional.empty();
    }
    return tokens.findDigest(s.tokenDigest());
  }

  void close(String id) {
    if (id != null) {
      byId.remove(key(id));
    }
  }

  // looked up by digest: a map lookup's timing then says nothing about the session ids it holds
  private static String key(String id) {
    return HexFormat.of().formatHex(Tokens.digest(id));
  }
}
