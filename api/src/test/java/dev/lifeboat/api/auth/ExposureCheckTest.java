package dev.lifeboat.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Lifeboat refuses to listen beyond loopback without a token: as a check, and as the real process.
 */
class ExposureCheckTest {
  @Test
  void loopbackNeedsNoTokenAnythingElseDoes() {
    ExposureCheck.requireTokenWhenExposed(server("127.0.0.1"), false);
    ExposureCheck.requireTokenWhenExposed(server("localhost"), false);
    ExposureCheck.requireTokenWhenExposed(server("::1"), false);
    for (String host : new String[] {"0.0.0.0", "::", "", null, "192.0.2.10"}) {
      assertThatThrownBy(() -> ExposureCheck.requireTokenWhenExposed(server(host), false))
          .as(host)
          .isInstanceOf(ExposureCheck.StartupRefused.class)
          .hasMessageContaining("LIFEBOAT_API_TOKEN");
      ExposureCheck.requireTokenWhenExposed(server(host), true);
    }
  }

  @Test
  void aTokenThatGuardsLifeboatBeyondThisMachineIsNotAGuessableOne() {
    for (String host : new String[] {"0.0.0.0", "192.0.2.10"}) {
      assertThatThrownBy(() -> ExposureCheck.requireTokenWhenExposed(server(host), true, 1))
          .isInstanceOf(ExposureCheck.StartupRefused.class)
          .hasMessageContaining("with a token of 1 characters")
          .hasMessageContaining("at least 16");
      ExposureCheck.requireTokenWhenExposed(server(host), true, 16);
    }
    ExposureCheck.requireTokenWhenExposed(server("127.0.0.1"), true, 1);
  }

  @Test
  void theServerCommandExitsWithOneLineWhenExposedWithoutAToken() throws Exception {
    Result r = lifeboat(Map.of("LIFEBOAT_BIND", "0.0.0.0"));
    assertThat(r.exit()).isNotZero();
    assertThat(r.err().strip())
        .isEqualTo(
            "lifeboat: Lifeboat refuses to listen on 0.0.0.0 without a token: "
                + "set LIFEBOAT_API_TOKEN (or LIFEBOAT_TOKENS_FILE), or unset LIFEBOAT_BIND to stay on 127.0.0.1");
  }

  @Test
  void aBrokenTokensFileStopsTheStart() throws Exception {
    Path file = Files.createTempFile("lifeboat-tokens", "");
    Files.writeString(file, "ops:root:abc\n");
    Result r =
        lifeboat(Map.of("LIFEBOAT_BIND", "0.0.0.0", "LIFEBOAT_TOKENS_FILE", file.toString()));
    assertThat(r.exit()).isNotZero();
    assertThat(r.err().strip())
        .isEqualTo("lifeboat: " + file + ":1: role must be 'admin' or 'read', not 'root'");
  }

  record Result(int exit, String err) {}

  /** Runs {@code LifeboatApplication server} as its own JVM on this test's class path. */
  private static Result lifeboat(Map<String, String> env) throws IOException, InterruptedException {
    Path data = Files.createTempDirectory("lifeboat-exposure");
    ProcessBuilder pb =
        new ProcessBuilder(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.lifeboat.api.LifeboatApplication",
                "server"));
    pb.environment().keySet().removeIf(k -> k.startsWith("LIFEBOAT_"));
    pb.environment().putAll(env);
    pb.environment().put("LIFEBOAT_PORT", "0");
    pb.environment().put("LIFEBOAT_REPOSITORY", data.resolve("repository").toString());
    pb.environment().put("LIFEBOAT_RUNBOOKS", data.resolve("runbooks").toString());
    pb.redirectOutput(data.resolve("out").toFile());
    pb.redirectError(data.resolve("err").toFile());
    Process p = pb.start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError(
            "Lifeboat started instead of refusing: " + Files.readString(data.resolve("out")));
      }
      return new Result(
          p.exitValue(), Files.readString(data.resolve("err"), StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  private static SimpleServerFactory server(String bindHost) {
    HttpConnectorFactory http = new HttpConnectorFactory();
    http.setBindHost(bindHost);
    SimpleServerFactory s = new SimpleServerFactory();
    s.setConnector(http);
    return s;
  }
}
