package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The page's archive browser in headless Chromium: pick a set/source and a date, search a file by
 * name and download it, open a folder and download it as a tar.gz that GNU tar extracts.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class ArchiveBrowserPageTest {
  static final Path REPOSITORY = TestFolders.temp("browser-repo");
  static final Path SOURCE = TestFolders.temp("browser-source");
  static final byte[] MODEL = new byte[300_000];
  static String olderArchive;

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config(
              "runbooks",
              TestFolders.runbooks(
                      "browser-runbooks",
                      """
          name: idle
          steps:
            - id: wait
              action: approval
              with: {message: nothing}
          """)
                  .toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()));

  WebDriver browser;

  @BeforeAll
  static void twoArchives() throws Exception {
    new Random(7).nextBytes(MODEL);
    Path nb = Files.createDirectories(SOURCE.resolve("notebooks/experiments/run 1"));
    Files.writeString(SOURCE.resolve("notebooks/training.ipynb"), "{\"cells\": [\"first\"]}");
    Files.writeString(nb.resolve("results.csv"), "epoch,loss\n1,0.5\n");
    Files.write(SOURCE.resolve("notebooks/model.bin"), MODEL);
    Files.writeString(SOURCE.resolve("README.md"), "home\n");
    Instant older = Instant.parse("2026-11-20T03:00:00Z");
    olderArchive =
        new Repository(REPOSITORY, Clock.fixed(older, ZoneOffset.UTC))
            .writeFromDirectory(
                "tier1", "home", SOURCE, List.of(), List.of(), ProgressListener.NONE)
            .ref()
            .name();
    Files.writeString(SOURCE.resolve("notebooks/training.ipynb"), "{\"cells\": [\"second\"]}");
    new Repository(REPOSITORY, Clock.fixed(older.plus(Duration.ofDays(1)), ZoneOffset.UTC))
        .writeFromDirectory("tier1", "home", SOURCE, List.of(), List.of(), ProgressListener.NONE);
  }

  @AfterEach
  void close() {
    if (browser != null) {
      browser.quit();
    }
  }

  private WebElement waitFor(By by) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> browser.findElement(by), e -> e.isDisplayed());
  }

  private static HttpResponse<byte[]> fetch(String href) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(href)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void pickSearchDownloadAFileAndAFolder() throws Exception {
    browser = Chromium.open();
    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    waitFor(By.cssSelector("#browse-source option[value='tier1/home']")).click();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> browser.findElements(By.cssSelector("#browse-archive option")).size() == 3);
    // the prompt and two dates, newest first
    WebElement olderOption = browser.findElements(By.cssSelector("#browse-archive option")).get(2);
    olderOption.click();
    String archive = olderOption.getAttribute("value");
    assertThat(archive).isEqualTo(olderArchive);

    // browse: the root lists the folder and the top-level file
    waitFor(By.cssSelector("#browse-files a.folder"));
    assertThat(browser.findElement(By.cssSelector("#browse-files tbody")).getText())
        .contains("notebooks/")
        .contains("README.md");

    // search by name, then download what the page links to
    browser.findElement(By.id("browse-search")).sendKeys("training");
    WebElement hit =
        waitFor(By.cssSelector("#browse-files a.download[data-path='notebooks/training.ipynb']"));
    assertThat(browser.findElements(By.cssSelector("#browse-files tr.entry"))).hasSize(1);
    HttpResponse<byte[]> file = fetch(hit.getAttribute("href"));
    assertThat(file.statusCode()).isEqualTo(200);
    assertThat(new String(file.body(), StandardCharsets.UTF_8))
        .as("the older date's content")
        .isEqualTo("{\"cells\": [\"first\"]}");
    assertThat(file.headers().firstValue("X-Lifeboat-Archive")).hasValue(archive);

    // open the folder and take it as a tar.gz
    browser.findElement(By.id("browse-search")).clear();
    browser
        .findElement(By.id("browse-search"))
        .sendKeys(" "); // an empty query shows the folder again
    waitFor(By.cssSelector("#browse-files a.folder")).click();
    WebElement folder =
        waitFor(By.cssSelector("#browse-path a.download-folder[data-path='notebooks']"));
    HttpResponse<byte[]> tgz = fetch(folder.getAttribute("href"));
    assertThat(tgz.statusCode()).isEqualTo(200);
    assertThat(tgz.headers().firstValue("Content-Type")).hasValue("application/gzip");
    Path out = Files.createTempDirectory("browser-folder");
    Path tarball = out.resolve("notebooks.tar.gz");
    Files.write(tarball, tgz.body());
    Process tar =
        new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", out.toString())
            .redirectErrorStream(true)
            .start();
    String tarSaid = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(tar.waitFor()).as("GNU tar: " + tarSaid).isZero();
    try (Stream<Path> all = Files.walk(out.resolve("notebooks"))) {
      assertThat(
              all.filter(Files::isRegularFile)
                  .map(p -> out.relativize(p).toString())
                  .sorted()
                  .toList())
          .containsExactly(
              "notebooks/experiments/run 1/results.csv",
              "notebooks/model.bin",
              "notebooks/training.ipynb");
    }
    assertThat(Files.readAllBytes(out.resolve("notebooks/model.bin"))).isEqualTo(MODEL);
    assertThat(Files.readString(out.resolve("notebooks/experiments/run 1/results.csv")))
        .isEqualTo("epoch,loss\n1,0.5\n");
    assertThat(Files.exists(out.resolve("README.md"))).as("only the folder").isFalse();

    // a folder that is not there is a 404, not an empty archive
    HttpResponse<byte[]> missing =
        fetch(
            "http://127.0.0.1:"
                + APP.getLocalPort()
                + "/api/backups/tier1/home/"
                + archive
                + "/folder?path=nope");
    assertThat(missing.statusCode()).isEqualTo(404);

    // two folders deeper, the breadcrumb names each folder as a link back to it
    waitFor(By.cssSelector("#browse-files a.folder")).click();
    waitFor(By.cssSelector("#browse-path a.download-folder[data-path='notebooks/experiments']"));
    waitFor(By.cssSelector("#browse-files a.folder")).click();
    waitFor(
        By.cssSelector("#browse-path a.download-folder[data-path='notebooks/experiments/run 1']"));
    assertThat(browser.findElement(By.id("browse-path")).getText())
        .startsWith("home / notebooks / experiments / run 1");
    List<String> crumbs =
        browser.findElements(By.cssSelector("#browse-path a:not(.download-folder)")).stream()
            .map(WebElement::getText)
            .toList();
    assertThat(crumbs).containsExactly("home", "notebooks", "experiments", "run 1");
    browser.findElements(By.cssSelector("#browse-path a:not(.download-folder)")).get(1).click();
    waitFor(By.cssSelector("#browse-path a.download-folder[data-path='notebooks']"));
    assertThat(browser.findElement(By.cssSelector("#browse-files tbody")).getText())
        .contains("experiments/")
        .contains("training.ipynb");
  }
}
