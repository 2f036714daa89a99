package dev.lifeboat.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokens file: named tokens with roles, clear errors naming file and line. */
class TokensTest {
  @TempDir Path dir;

  private Tokens load(String single, String file) throws Exception {
    AuthSettings s = new AuthSettings();
    s.setToken(single);
    if (file != null) {
      Path f = dir.resolve("tokens");
      Files.writeString(f, file);
      s.setTokensFile(f.toString());
    }
    return Tokens.from(s);
  }

  @Test
  void namesAndRoles() throws Exception {
    Tokens t = load("owner-secret", "# comment\n\nci:read:a:b:c\nops:admin:x\n");
    assertThat(t.configured()).isTrue();
    assertThat(t.find("owner-secret")).contains(new Caller("owner", Role.ADMIN));
    assertThat(t.find("a:b:c")).contains(new Caller("ci", Role.READ));
    assertThat(t.find("x")).contains(new Caller("ops", Role.ADMIN));
    assertThat(t.find("y")).isEmpty();
    assertThat(t.find("")).isEmpty();
    assertThat(t.find(null)).isEmpty();
    assertThat(t.shortest()).as("ops's token, for the exposure check").isEqualTo(1);
    assertThat(load("owner-secret", null).shortest()).isEqualTo(12);
  }

  @Test
  void noTokenMeansOpen() throws Exception {
    assertThat(load("", null).configured()).isFalse();
  }

  @Test
  void badFilesSayWhere() {
    assertThatThrownBy(() -> load("", "ops:admin\n"))
        .hasMessageEndingWith("tokens:1: expected name:role:token");
    assertThatThrownBy(() -> load("", "a:admin:x\na:read:y\n"))
        .hasMessageContaining("tokens:2")
        .hasMessageContaining("used twice");
    assertThatThrownBy(() -> load("", "a:admin:x\nb:read:x\n"))
        .hasMessageContaining("same as an earlier one");
    assertThatThrownBy(() -> load("", "a b:admin:x\n")).hasMessageContaining("may use only");
    assertThatThrownBy(() -> load("", "# nothing\n")).hasMessageContaining("holds no token");
    AuthSettings missing = new AuthSettings();
    missing.setTokensFile(dir.resolve("absent").toString());
    assertThatThrownBy(() -> Tokens.from(missing)).hasMessageContaining("cannot be read");
  }
}
