package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On a durable Temporal (here a separate server Lifeboat reaches by address, as scripts/start.sh's
 * dev server) a run id Temporal does not know was never a run: no "restarted", no "lost".
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class DurableRunsApiTest {
  static final int TEMPORAL_PORT = freePort();
  static final TestServer.PortBoundTestServer TEMPORAL =
      TestServer.createPortBoundServer(TEMPORAL_PORT, true);

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks",
              TestFolders.runbooks(
                      "durable-runs",
                      """
          name: keep
          steps:
            - id: ask
              action: approval
              with: {message: "go?"}
          """)
                  .toString()),
          ConfigOverride.config("repository", TestFolders.temp("durable-runs-repo").toString()),
          ConfigOverride.config("temporal.address", "127.0.0.1:" + TEMPORAL_PORT),
          ConfigOverride.config("temporal.mode", "dev-server"));

  @AfterAll
  static void stopTemporal() {
    TEMPORAL.close();
  }

  @Test
  void anIdTemporalDoesNotKnowIsNoRunNotALostOne() {
    ApiClient api = new ApiClient(APP.getLocalPort());
    assertThat(api.get("/api/info").body().get("temporal").get("mode").asText())
        .isEqualTo("dev-server");
    String id = "keep@20200101T000000.000Z";
    ApiClient.Answer none = api.get("/api/runs/" + ApiClient.enc(id));
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.body().get("error").asText()).isEqualTo("no run with id '" + id + "'");
    assertThat(none.body().has("lost")).isFalse();
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "").body().has("lost"))
        .isFalse();

    CliTest.Outcome status = CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "status", id);
    assertThat(status.exit()).isEqualTo(2);
    assertThat(status.err()).isEqualTo("lifeboat: no run with id '" + id + "'\n");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
