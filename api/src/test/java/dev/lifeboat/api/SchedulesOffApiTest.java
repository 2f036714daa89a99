package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On the embedded in-memory server there is no Schedules API: the API says so instead of
 * pretending.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class SchedulesOffApiTest {
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", Path.of("..", "runbooks").toAbsolutePath().toString()),
          ConfigOverride.config("repository", TestFolders.temp("sched-off-repo").toString()),
          ConfigOverride.config("temporal.address", ""));

  @Test
  void everyScheduleIsListedAsOffWithTheReasonAndActionsAreRefused() {
    ApiClient api = new ApiClient(APP.getLocalPort());
    JsonNode list = api.get("/api/schedules").body();
    assertThat(list.isArray()).isTrue();
    assertThat(list.findValuesAsText("name"))
        .contains("tier1-notebooks", "tier1-models", "drill-tier2");
    for (JsonNode s : list) {
      assertThat(s.get("enabled").asBoolean()).isFalse();
      assertThat(s.get("reason").asText()).contains("in-memory", "LIFEBOAT_TEMPORAL_ADDRESS");
      assertThat(s.get("next")).isEmpty();
      assertThat(s.get("last").isNull()).isTrue();
      assertThat(s.has("cron")).isTrue();
    }
    ApiClient.Answer trigger = api.post("/api/schedules/tier1-notebooks/trigger", null);
    assertThat(trigger.status()).isEqualTo(409);
    assertThat(trigger.body().get("error").asText()).startsWith("schedules are off: ");
    assertThat(trigger.body().get("enabled").asBoolean()).isFalse();
    assertThat(api.post("/api/schedules/nope/pause", null).status()).isEqualTo(404);
    // a scheduled run's id has the shape of a run id: one the server forgot is shown as lost
    ApiClient.Answer lost =
        api.get(
            "/api/runs/"
                + ApiClient.enc("tier1-critical@sched-tier1-notebooks-2026-11-30T02:13:07Z"));
    assertThat(lost.status()).isEqualTo(404);
    assertThat(lost.body().get("lost").asBoolean()).isTrue();

    CliTest.Outcome listed = CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "schedules");
    assertThat(listed.out()).contains("tier1-notebooks  tier1-critical  \"0 2 * * *\" UTC  OFF: ");
  }

  @Test
  void thePageShowsABannerAndNoButtons() {
    org.openqa.selenium.WebDriver browser = Chromium.open();
    try {
      browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(
              () -> browser.findElement(org.openqa.selenium.By.id("schedules-off")).isDisplayed());
      assertThat(browser.findElement(org.openqa.selenium.By.id("schedules-off")).getText())
          .startsWith("schedules are off: ")
          .contains("in-memory");
      var row =
          browser.findElement(
              org.openqa.selenium.By.cssSelector("tr[data-schedule='tier1-notebooks']"));
      assertThat(row.getText()).contains("0 2 * * * UTC");
      assertThat(row.findElements(org.openqa.selenium.By.tagName("button"))).isEmpty();
    } finally {
      browser.quit();
    }
  }
}
