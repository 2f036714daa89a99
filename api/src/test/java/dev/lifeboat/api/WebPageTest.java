package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeboat.activities.archive.Fixtures;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The web page in Debian's headless Chromium: start a run, watch it wait, approve it, see it
 * finish.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class WebPageTest {
  static final Path RUNBOOKS =
      TestFolders.runbooks(
          "web",
          """
      name: gate
      description: waits for a human
      params:
        - name: who
          required: true
      steps:
        - id: ask
          action: approval
          with:
            message: "plug in the drive for ${params.who}"
      """,
          """
      name: broken
      steps: 3
      """,
          """
      name: gaps
      params:
        - name: path
          required: true
      steps:
        - id: archive
          action: backup
          with: {path: "${params.path}"}
      """);

  static final Path REPOSITORY = TestFolders.temp("web-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", RUNBOOKS.toString()),
          ConfigOverride.config("repository", WebPageTest.REPOSITORY.toString()));

  WebDriver browser;

  @BeforeEach
  void openBrowser() {
    browser = Chromium.open();
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void startWatchAndApproveARun() throws Exception {
    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    WebElement gate = waitFor(By.cssSelector("li[data-runbook='gate']"));
    assertThat(waitFor(By.cssSelector("li[data-runbook='broken']")).getText()).contains("invalid");

    gate.click();
    browser.findElement(By.id("param-who")).sendKeys("the lab");
    browser.findElement(By.id("start-button")).click();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> browser.findElement(By.id("start-result")).getText().startsWith("started gate@"));

    waitFor(By.cssSelector("button[data-approve='ask']"));
    assertThat(browser.findElement(By.cssSelector("tr[data-step='ask']")).getText())
        .contains("plug in the drive for the lab")
        .contains("WAITING_FOR_APPROVAL");
    assertThat(browser.findElement(By.id("run-status")).getText())
        .isEqualTo("WAITING_FOR_APPROVAL");
    Files.write(
        Path.of("target", "web-page-waiting.png"),
        ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

    // the page refreshes on its own; find the button afresh if it was just re-rendered
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .untilAsserted(
            () -> browser.findElement(By.cssSelector("button[data-approve='ask']")).click());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.findElement(By.id("run-status")).getText().equals("COMPLETED"));
    assertThat(browser.findElement(By.cssSelector("tr[data-step='ask']")).getText())
        .contains("SUCCEEDED");
    assertThat(waitFor(By.cssSelector("div[data-approval='ask']")).getText())
        .startsWith("approved by local from 127.0.0.1");
    assertThat(browser.findElement(By.cssSelector("#runs tbody")).getText()).contains("COMPLETED");
  }

  /**
   * A backup that could not read an entry completes (its archive is good for what it holds), but
   * was shown as green as a whole copy: the run says "with warnings" and what the step warned of.
   */
  @Test
  void aRunThatCompletedWithWarningsIsNotShownAsAPlainSuccess() throws Exception {
    Path notes = Files.createDirectories(TestFolders.temp("web-gaps").resolve("gaps"));
    Files.writeString(notes.resolve("a.ipynb"), "{}");
    Fixtures.tooDeepToRead(notes);
    try {
      browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
      waitFor(By.cssSelector("li[data-runbook='gaps']")).click();
      browser.findElement(By.id("param-path")).sendKeys(notes.toString());
      browser.findElement(By.id("start-button")).click();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  browser
                      .findElement(By.id("run-status"))
                      .getText()
                      .equals("COMPLETED with warnings"));
      assertThat(browser.findElement(By.id("run-status")).getAttribute("class"))
          .contains("WARNINGS")
          .doesNotContain("COMPLETED");
      assertThat(waitFor(By.cssSelector("#run-warnings [data-warning='archive']")).getText())
          .startsWith("warning: archive: 1 entry could not be read and is NOT in ")
          .endsWith(": unreadable: File name too long");
      assertThat(browser.findElement(By.cssSelector("tr[data-step='archive']")).getText())
          .contains("SUCCEEDED")
          .contains("1 entry could not be read");
      // the runs table, which the page reloads as it polls, says so as well
      String id = browser.findElement(By.id("run-id")).getText();
      By row = By.cssSelector("#runs tr[data-run='" + id + "'] .pill");
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> browser.findElement(row).getText().equals("COMPLETED with warnings"));
      assertThat(browser.findElement(row).getAttribute("class")).contains("WARNINGS");
      Files.write(
          Path.of("target", "web-page-warnings.png"),
          ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    } finally {
      Fixtures.removeTooDeep(notes);
    }
  }

  @Test
  void aRunTheServerNoLongerKnowsIsShownLostWithoutCancel() {
    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    waitFor(By.cssSelector("li[data-runbook='gate']"));
    // what the page holds after the in-memory server restarted under it: an id Temporal does not
    // know
    ((org.openqa.selenium.JavascriptExecutor) browser)
        .executeScript("state.run = 'gate@20200101T000000.000Z'; refresh();");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> browser.findElement(By.id("run-status")).getText().equals("LOST"));
    assertThat(browser.findElement(By.id("run-error")).getText())
        .contains("Lifeboat restarted; this run's state was in memory");
    assertThat(browser.findElement(By.id("cancel-button")).isDisplayed()).isFalse();
  }

  @Test
  void protectionShowsTheAgeOfTheNewestGoodArchiveAndTheLastDrill() throws Exception {
    Path notes = Files.createDirectories(TestFolders.temp("web-notes").resolve("notes"));
    Files.writeString(notes.resolve("a.ipynb"), "{}");
    var repository = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    repository.writeFromDirectory(
        "local",
        "web-notes",
        notes,
        java.util.List.of(),
        java.util.List.of(),
        (done, total, files) -> {});
    dev.lifeboat.activities.action.ActionDispatcher.invoke(
        new dev.lifeboat.activities.local.RestoreDrillAction(repository),
        java.util.Map.of("set", "local", "source", "web-notes"),
        new dev.lifeboat.activities.action.LocalActionContext("drill"));

    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    WebElement row = waitFor(By.cssSelector("#protection tr[data-source='local / web-notes']"));
    assertThat(row.findElement(By.cssSelector("td.rpo")).getText()).endsWith("ago");
    assertThat(row.findElement(By.cssSelector("td.drill")).getText()).contains("passed");
    assertThat(row.findElement(By.cssSelector("td.rto")).getText()).endsWith(" s");
  }

  /**
   * An archive whose backup could not read some entries restores what it holds, but looked as whole
   * as any other in the backups and protection tables: both say it is incomplete.
   */
  @Test
  void anArchiveShortOfUnreadableEntriesIsShownIncomplete() throws Exception {
    Path notes = Files.createDirectories(TestFolders.temp("web-short").resolve("notes"));
    Files.writeString(notes.resolve("a.ipynb"), "{}");
    var repository = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    Fixtures.tooDeepToRead(notes);
    String name;
    try {
      name =
          repository
              .writeFromDirectory(
                  "local",
                  "web-short",
                  notes,
                  java.util.List.of(),
                  java.util.List.of(),
                  (done, total, files) -> {})
              .ref()
              .name();
    } finally {
      Fixtures.removeTooDeep(notes);
    }

    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    WebElement row =
        waitFor(By.cssSelector("#backups tr[data-archive='local/web-short/" + name + "']"));
    assertThat(row.findElement(By.cssSelector("[data-unreadable]")).getText())
        .isEqualTo("incomplete: 1 entry could not be read and is NOT in it");
    WebElement protection =
        waitFor(By.cssSelector("#protection tr[data-source='local / web-short']"));
    assertThat(protection.findElement(By.cssSelector("td.rpo [data-unreadable]")).getText())
        .isEqualTo("incomplete: 1 entry could not be read and is NOT in it");
  }

  @Test
  void anArchiveWhoseFileWentMissingIsShownMissingWithWhy() throws Exception {
    Path notes = Files.createDirectories(TestFolders.temp("web-lost").resolve("notes"));
    Files.writeString(notes.resolve("a.ipynb"), "{}");
    var repository = new dev.lifeboat.activities.archive.Repository(REPOSITORY);
    var lost =
        repository
            .writeFromDirectory(
                "local",
                "web-lost",
                notes,
                java.util.List.of(),
                java.util.List.of(),
                (done, total, files) -> {})
            .ref();
    repository.verify(lost, null);
    Files.delete(lost.path());

    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    WebElement row =
        waitFor(By.cssSelector("#backups tr[data-archive='local/web-lost/" + lost.name() + "']"));
    assertThat(row.findElement(By.cssSelector(".pill")).getText()).isEqualToIgnoringCase("missing");
    assertThat(row.findElement(By.cssSelector(".pill")).getAttribute("class")).contains("FAILED");
    assertThat(row.getText()).contains("archive file " + lost.path() + " is missing");
    WebElement protection =
        waitFor(By.cssSelector("#protection tr[data-source='local / web-lost']"));
    assertThat(protection.findElement(By.cssSelector("td.rpo")).getText())
        .isEqualTo("no good archive");
  }

  @Test
  void aScheduleWhoseRunbookIsInvalidIsMarkedInWordsWithTheReason() throws Exception {
    // the in-memory server has no schedules: the page gets the API's own View records for the
    // listing (SchedulesApiTest shows the same on a real Temporal server)
    String reason =
        "runbook nightly is invalid (nightly.yaml:4: steps must be a list); the schedule is kept"
            + " as it was: fix the file and reload";
    String listing =
        APP.getObjectMapper()
            .writeValueAsString(
                java.util.List.of(
                    schedule("nightly-backup", "nightly", reason, true),
                    schedule("weekly-drill", "gate", null, false)));
    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    waitFor(By.cssSelector("li[data-runbook='gate']"));
    ((org.openqa.selenium.JavascriptExecutor) browser)
        .executeScript(
            "const listing = arguments[0], real = window.fetch;"
                + "window.fetch = (path, options) => path === '/api/schedules'"
                + "  ? Promise.resolve(new Response(listing, {status: 200,"
                + "      headers: {'Content-Type': 'application/json'}}))"
                + "  : real(path, options);"
                + "state.shown.schedules = null; loadSchedules();",
            listing);
    WebElement invalid = waitFor(By.cssSelector("tr[data-schedule='nightly-backup']"));
    assertThat(invalid.findElement(By.cssSelector("[data-runbook-invalid]")).getText())
        .isEqualTo("runbook invalid " + reason);
    // still pausable (Temporal keeps it firing), but not triggered: the server refuses that
    assertThat(invalid.findElements(By.tagName("button")))
        .extracting(WebElement::getText)
        .containsExactly("Pause");
    WebElement valid = browser.findElement(By.cssSelector("tr[data-schedule='weekly-drill']"));
    assertThat(valid.getText()).doesNotContain("invalid");
    assertThat(valid.findElements(By.cssSelector("[data-runbook-invalid]"))).isEmpty();
    assertThat(valid.findElements(By.tagName("button")))
        .extracting(WebElement::getText)
        .containsExactly("Pause", "Trigger");
  }

  private static dev.lifeboat.api.core.RunbookSchedules.View schedule(
      String name, String runbook, String reason, boolean runbookInvalid) {
    return new dev.lifeboat.api.core.RunbookSchedules.View(
        name,
        runbook,
        "0 2 * * *",
        "UTC",
        null,
        false,
        java.util.List.of("2030-01-01T02:00:00Z"),
        null,
        0,
        0,
        true,
        reason,
        runbookInvalid);
  }

  private WebElement waitFor(By by) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> browser.findElement(by), e -> e.isDisplayed());
  }
}
