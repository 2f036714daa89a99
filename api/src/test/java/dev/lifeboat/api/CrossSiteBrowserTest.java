package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * A web page on another port cannot start a run on an open (loopback, no token) Lifeboat in
 * Chromium.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class CrossSiteBrowserTest {
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks", TestFolders.runbooks("cross-site", OpenAccessApiTest.GATE).toString()),
          ConfigOverride.config("repository", TestFolders.temp("cross-site-repo").toString()));

  WebDriver browser;
  HttpServer attacker;

  @AfterEach
  void close() {
    if (browser != null) {
      browser.quit();
    }
    if (attacker != null) {
      attacker.stop(0);
    }
  }

  @Test
  void anotherSitesPageStartsNothing() throws Exception {
    attacker = Chromium.attackerSite(APP.getLocalPort(), "gate");
    browser = Chromium.open();
    browser.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
    await().atMost(Duration.ofSeconds(30)).until(() -> "done".equals(browser.getTitle()));
    String results = browser.findElement(By.tagName("body")).getAttribute("data-results");
    // every attempt reached Lifeboat and got its answer (opaque to the page) or was stopped by the
    // browser
    assertThat(results).contains("text-nocors:opaque:0", "json-cors:refused", "form:posted");

    ApiClient api = new ApiClient(APP.getLocalPort());
    assertThat(api.get("/api/runs").body().findValuesAsText("runbook"))
        .as("runs after the attack")
        .isEmpty();
    // the control: the same request from Lifeboat's own origin does start a run
    assertThat(api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"owner\"}}").status())
        .isEqualTo(202);
  }
}
