package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Each run links to its page in the Temporal UI, and that page loads in a browser and shows the
 * run.
 */
class TemporalUiTest {
  @TempDir Path tmp;
  private LifeboatProcess lifeboat;
  private WebDriver browser;

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (lifeboat != null) {
      lifeboat.kill9();
    }
  }

  @Test
  void theRunsLinkOpensItsPageInTheTemporalUi() throws Exception {
    Map<String, String> env = TemporalDevServer.sharedLifeboatEnv();
    String ui = TemporalDevServer.sharedUi();
    HttpResponse<String> home =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(ui + "/"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(home.statusCode()).as("the Temporal UI at %s", ui).isEqualTo(200);

    lifeboat =
        LifeboatProcess.start(
            tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks(), env);
    assertThat(lifeboat.get("/api/info").body().path("temporal").path("ui").asText()).isEqualTo(ui);
    Path src = Trees.smallTree(tmp.resolve("src/notes"), 3);
    LifeboatProcess.Answer started =
        lifeboat.post(
            "/api/runbooks/local-backup/runs", Map.of("params", Map.of("path", src.toString())));
    assertThat(started.status()).as(started.raw()).isEqualTo(202);
    String id = started.body().path("id").asText();
    String page = started.body().path("links").path("temporal").asText();
    assertThat(page).startsWith(ui + "/namespaces/default/workflows/");
    lifeboat.awaitCompleted(id, Duration.ofSeconds(60));
    assertThat(lifeboat.run(id).path("links").path("temporal").asText()).isEqualTo(page);

    browser = chromium();
    browser.get(page);
    // the UI is a single-page app: wait until it has fetched and rendered the run
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              String text = browser.findElement(By.tagName("body")).getText();
              return text.contains(id) && text.toLowerCase().contains("completed");
            });
  }

  private static WebDriver chromium() throws Exception {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,900",
        "--user-data-dir=" + Files.createTempDirectory("lifeboat-chromium"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }
}
