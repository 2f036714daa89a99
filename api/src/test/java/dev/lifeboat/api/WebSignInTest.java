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
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/** With a token, the page asks for it, keeps an HttpOnly SameSite=Strict session, and signs out. */
@ExtendWith(DropwizardExtensionsSupport.class)
class WebSignInTest {
  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("auth.token", "page-secret"),
          ConfigOverride.config(
              "runbooks", TestFolders.runbooks("sign-in", OpenAccessApiTest.GATE).toString()),
          ConfigOverride.config("repository", TestFolders.temp("sign-in-repo").toString()));

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
  void signInSeeRunbooksSignOut() throws Exception {
    browser = Chromium.open();
    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    WebElement token = waitFor(By.id("signin-token"));
    assertThat(browser.findElement(By.id("catalogue")).isDisplayed()).isFalse();

    token.sendKeys("wrong");
    browser.findElement(By.id("signin-button")).click();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> browser.findElement(By.id("signin-result")).getText().contains("not valid"));

    browser.findElement(By.id("signin-token")).clear();
    browser.findElement(By.id("signin-token")).sendKeys("page-secret");
    browser.findElement(By.id("signin-button")).click();
    waitFor(By.cssSelector("li[data-runbook='gate']"));
    assertThat(browser.findElement(By.id("signin-form")).isDisplayed()).isFalse();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> browser.findElement(By.id("who")).getText().contains("owner"));

    Cookie session = browser.manage().getCookieNamed("lifeboat_session");
    assertThat(session).isNotNull();
    assertThat(session.isHttpOnly()).isTrue();
    assertThat(session.getSameSite()).isEqualTo("Strict");
    assertThat(session.getValue()).doesNotContain("page-secret");
    assertThat(
            (Object)
                ((org.openqa.selenium.JavascriptExecutor) browser)
                    .executeScript("return document.cookie"))
        .isEqualTo("");

    // signed in, the browser holds a session cookie that another port of the same host would get
    // sent along
    // (SameSite ignores ports): the Origin check still refuses it
    attacker = Chromium.attackerSite(APP.getLocalPort(), "gate");
    browser.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
    await().atMost(Duration.ofSeconds(30)).until(() -> "done".equals(browser.getTitle()));
    Http.Reply runs =
        Http.send(
            APP.getLocalPort(), "GET", "/api/runs", null, "Authorization: Bearer page-secret");
    assertThat(runs.json().findValuesAsText("runbook")).as("runs after the attack").isEmpty();

    browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
    waitFor(By.id("signout-button")).click();
    waitFor(By.id("signin-token"));
    browser.navigate().refresh();
    waitFor(By.id("signin-token"));
  }

  private WebElement waitFor(By by) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(() -> browser.findElement(by), WebElement::isDisplayed);
  }
}
