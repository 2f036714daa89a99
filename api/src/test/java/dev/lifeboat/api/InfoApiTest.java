package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * GET /api/info on the embedded server, and LIFEBOAT_TEMPORAL_UI_URL giving each run its
 * links.temporal.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class InfoApiTest {
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks",
              TestFolders.runbooks(
                      "info-api",
                      """
          name: gate
          steps:
            - id: ask
              action: approval
              with:
                message: plug in the drive
          """)
                  .toString()),
          ConfigOverride.config("repository", TestFolders.temp("info-api-repo").toString()),
          ConfigOverride.config("temporal.uiUrl", "http://temporal-ui.test:8233/"));

  @Test
  void saysWhichTemporalAndLinksEachRunToItsUi() {
    ApiClient api = new ApiClient(APP.getLocalPort());
    ApiClient.Answer info = api.get("/api/info");
    assertThat(info.status()).isEqualTo(200);
    var t = info.body().get("temporal");
    assertThat(t.get("mode").asText()).isEqualTo("in-memory");
    assertThat(t.get("durable").asBoolean()).isFalse();
    assertThat(t.get("address").asText()).startsWith("127.0.0.1:");
    assertThat(t.get("ui").asText()).isEqualTo("http://temporal-ui.test:8233");

    ApiClient.Answer started = api.post("/api/runbooks/gate/runs", "{}");
    assertThat(started.status()).as(started.raw()).isEqualTo(202);
    String id = started.body().get("id").asText();
    String page =
        "http://temporal-ui.test:8233/namespaces/default/workflows/"
            + ApiClient.enc(id).replace("@", "%40");
    assertThat(started.body().get("links").get("temporal").asText()).isEqualTo(page);
    assertThat(
            api.get("/api/runs/" + ApiClient.enc(id)).body().get("links").get("temporal").asText())
        .isEqualTo(page);
    api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "");
  }
}
