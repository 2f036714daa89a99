package dev.lifeboat.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Page sessions: opaque, expiring, and ended when their token is removed. */
class SessionsTest {
  @TempDir Path dir;

  static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-11-29T12:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void sessionsExpireAndEndWithTheirToken() throws Exception {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "ann:read:ann-secret\n");
    AuthSettings settings = new AuthSettings();
    settings.setTokensFile(file.toString());
    MovableClock clock = new MovableClock();
    Sessions sessions = new Sessions(Tokens.from(settings), clock);

    assertThat(sessions.open("not-a-token")).isEmpty();
    String id = sessions.open("ann-secret").orElseThrow();
    assertThat(id).doesNotContain("ann-secret").hasSizeGreaterThanOrEqualTo(40);
    assertThat(sessions.find(id)).contains(new Caller("ann", Role.READ));
    assertThat(sessions.find(id + "x")).isEmpty();

    clock.now = clock.now.plus(Sessions.LIFETIME).plus(Duration.ofSeconds(1));
    assertThat(sessions.find(id)).as("expired").isEmpty();

    String again = sessions.open("ann-secret").orElseThrow();
    Files.writeString(file, "bob:admin:bob-secret\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(sessions.find(again)).as("token removed from the file").isEmpty();

    String bob = sessions.open("bob-secret").orElseThrow();
    sessions.close(bob);
    assertThat(sessions.find(bob)).as("signed out").isEmpty();
  }
}
