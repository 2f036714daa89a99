package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeboat.api.cli.ApiCommand;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Lifeboat with tokens: the single owner token, named admin and read-only tokens from a file, the
 * page's session.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class TokenAccessApiTest {
  static final Path TOKENS =
      tokensFile(
          """
      # name:role:token
      ops:admin:ops-secret-1
      viewer:read:viewer-secret-1
      """);

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("auth.token", "t"),
          ConfigOverride.config("auth.tokensFile", TOKENS.toString()),
          ConfigOverride.config("auth.publicUrl", "https://lifeboat.example.org"),
          ConfigOverride.config(
              "runbooks", TestFolders.runbooks("tokens", OpenAccessApiTest.GATE).toString()),
          ConfigOverride.config("repository", TestFolders.temp("tokens-repo").toString()));

  int port() {
    return APP.getLocalPort();
  }

  static String bearer(String token) {
    return "Authorization: Bearer " + token;
  }

  @Test
  void everyCallNeedsAValidToken() {
    Http.Reply none = Http.send(port(), "GET", "/api/runbooks", null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("Content-Type")).startsWith("application/json");
    assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
    assertThat(none.json().get("error").asText())
        .contains("Bearer")
        .contains("LIFEBOAT_API_TOKEN or the tokens file");

    assertThat(Http.send(port(), "GET", "/api/runbooks", null, bearer("t")).status())
        .isEqualTo(200);
    assertThat(Http.send(port(), "GET", "/api/runbooks", null, bearer("ops-secret-1")).status())
        .isEqualTo(200);

    Http.Reply wrong = Http.send(port(), "GET", "/api/runbooks", null, bearer("t2"));
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.json().get("error").asText()).contains("not valid");
    assertThat(
            Http.send(port(), "GET", "/api/runbooks", null, "Authorization: Basic dDp0").status())
        .isEqualTo(401);
    assertThat(
            Http.send(
                    port(),
                    "POST",
                    "/api/runbooks/gate/runs",
                    "{\"params\": {\"who\": \"x\"}}",
                    "Content-Type: application/json")
                .status())
        .isEqualTo(401);

    assertThat(Http.send(port(), "GET", "/admin/healthcheck", null).status()).isEqualTo(401);
    assertThat(Http.send(port(), "GET", "/admin/metrics", null).status()).isEqualTo(401);
    assertThat(Http.send(port(), "GET", "/admin/healthcheck", null, bearer("t")).status())
        .isEqualTo(200);
  }

  @Test
  void probesStayOpenAndTasksStayShut() {
    assertThat(Http.send(port(), "GET", "/admin/health/live", null).status()).isEqualTo(200);
    assertThat(Http.send(port(), "GET", "/admin/health/ready", null).status()).isEqualTo(200);
    Http.Reply task =
        Http.send(
            port(), "POST", "/admin/tasks/log-level?logger=ROOT&level=TRACE", null, bearer("t"));
    assertThat(task.status()).isEqualTo(404);
    assertThat(task.json().get("error").asText()).contains("disabled");
  }

  @Test
  void theCallerIsTheTokensName() {
    assertThat(
            Http.send(port(), "GET", "/api/session", null, bearer("t")).json().get("name").asText())
        .isEqualTo("owner");
    Http.Reply viewer = Http.send(port(), "GET", "/api/session", null, bearer("viewer-secret-1"));
    assertThat(viewer.json().get("name").asText()).isEqualTo("viewer");
    assertThat(viewer.json().get("role").asText()).isEqualTo("read");
  }

  @Test
  void readOnlyTokensLookButDoNotAct() {
    String viewer = bearer("viewer-secret-1");
    for (String path :
        new String[] {
          "/api/runbooks",
          "/api/runs",
          "/api/backups",
          "/api/actions",
          "/admin/metrics",
          "/admin/healthcheck",
          "/api/schedules"
        }) {
      assertThat(Http.send(port(), "GET", path, null, viewer).status()).as(path).isIn(200, 500);
    }
    String id =
        Http.send(
                port(),
                "POST",
                "/api/runbooks/gate/runs",
                "{\"params\": {\"who\": \"ops\"}}",
                "Content-Type: application/json",
                bearer("ops-secret-1"))
            .json()
            .get("id")
            .asText();
    String run = "/api/runs/" + ApiClient.enc(id);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Http.send(port(), "GET", run, null, viewer)
                    .body()
                    .contains("WAITING_FOR_APPROVAL"));

    for (String[] call :
        new String[][] {
          {"/api/runbooks/gate/runs", "{\"params\": {\"who\": \"viewer\"}}"},
          {run + "/approve/ask", null},
          {run + "/cancel", null},
          {"/api/runbooks/reload", null},
          {"/api/schedules/any/pause", null},
          {"/api/schedules/any/resume", null},
          {"/api/schedules/any/trigger", null}
        }) {
      Http.Reply r =
          call[1] == null
              ? Http.send(port(), "POST", call[0], null, viewer)
              : Http.send(
                  port(), "POST", call[0], call[1], "Content-Type: application/json", viewer);
      assertThat(r.status()).as(call[0]).isEqualTo(403);
      assertThat(r.json().get("error").asText()).as(call[0]).contains("read-only");
    }
    Http.Reply file =
        Http.send(
            port(), "GET", "/api/backups/local/notebooks/latest/file?path=a.txt", null, viewer);
    assertThat(file.status()).isEqualTo(403);
    assertThat(file.json().get("error").asText()).contains("read-only");
    Http.Reply folder =
        Http.send(port(), "GET", "/api/backups/local/notebooks/latest/folder?path=a", null, viewer);
    assertThat(folder.status()).as("a folder download is admin-only too").isEqualTo(403);
    // other spellings of the same URL reach the same method, and the same refusal
    // other spellings of the URL either reach the same method and its refusal, or no method at all
    for (String other :
        new String[] {"/file/", "/file;x=1", "/./file", "/x/../file", "/%66ile", "//file"}) {
      Http.Reply r =
          Http.send(
              port(),
              "GET",
              "/api/backups/local/notebooks/latest" + other + "?path=a.txt",
              null,
              viewer);
      assertThat(r.status() == 403 || r.body().contains("no such resource") || r.status() == 400)
          .as(other + " answered " + r.status() + " " + r.body())
          .isTrue();
    }
    assertThat(
            Http.send(
                    port(),
                    "GET",
                    "/api/backups/local/notebooks/latest/file/?path=a.txt",
                    null,
                    viewer)
                .status())
        .isEqualTo(403);
    // an admin token reaches the method (no such archive here)
    assertThat(
            Http.send(
                    port(),
                    "GET",
                    "/api/backups/local/notebooks/latest/file?path=a.txt",
                    null,
                    bearer("ops-secret-1"))
                .status())
        .isEqualTo(404);

    String status = Http.send(port(), "GET", run, null, viewer).json().get("status").asText();
    assertThat(status).isEqualTo("WAITING_FOR_APPROVAL");
    assertThat(
            Http.send(port(), "GET", "/api/runs", null, viewer)
                .json()
                .findValuesAsText("runbook")
                .stream()
                .filter("gate"::equals)
                .count())
        .as("the viewer started nothing")
        .isEqualTo(1);
    assertThat(Http.send(port(), "POST", run + "/cancel", null, bearer("t")).status())
        .isEqualTo(202);
  }

  @Test
  void thePageSignsInWithAnHttpOnlyStrictCookie() {
    Http.Reply bad =
        Http.send(
            port(),
            "POST",
            "/api/session",
            "{\"token\": \"nope\"}",
            "Content-Type: application/json");
    assertThat(bad.status()).isEqualTo(401);
    assertThat(bad.header("Set-Cookie")).isNull();

    Http.Reply ok =
        Http.send(
            port(), "POST", "/api/session", "{\"token\": \"t\"}", "Content-Type: application/json");
    assertThat(ok.status()).isEqualTo(200);
    String cookie = ok.header("Set-Cookie");
    assertThat(cookie)
        .startsWith("lifeboat_session=")
        .contains("HttpOnly")
        .contains("SameSite=Strict")
        .contains("Path=/")
        .doesNotContain("Secure")
        .doesNotContain("=t;");
    String session = cookie.substring(0, cookie.indexOf(';'));
    assertThat(Http.send(port(), "GET", "/api/runbooks", null, "Cookie: " + session).status())
        .isEqualTo(200);
    assertThat(Http.send(port(), "GET", "/admin/healthcheck", null, "Cookie: " + session).status())
        .isEqualTo(200);
    assertThat(
            Http.send(port(), "GET", "/api/runbooks", null, "Cookie: lifeboat_session=forged")
                .status())
        .isEqualTo(401);

    Http.Reply tls =
        Http.send(
            port(),
            "POST",
            "/api/session",
            "{\"token\": \"t\"}",
            "Content-Type: application/json",
            "X-Forwarded-Proto: https");
    assertThat(tls.header("Set-Cookie")).contains("Secure");

    Http.Reply out = Http.send(port(), "DELETE", "/api/session", null, "Cookie: " + session);
    assertThat(out.status()).isEqualTo(200);
    assertThat(out.header("Set-Cookie")).contains("Max-Age=0");
    assertThat(Http.send(port(), "GET", "/api/runbooks", null, "Cookie: " + session).status())
        .isEqualTo(401);

    // signing in from another site is refused like any other cross-site state change
    assertThat(
            Http.send(
                    port(),
                    "POST",
                    "/api/session",
                    "{\"token\": \"t\"}",
                    "Content-Type: application/json",
                    "Origin: http://evil.example")
                .status())
        .isEqualTo(403);
  }

  @Test
  void editingTheTokensFileRotatesTokens() throws IOException {
    // rotate the app's own file, then put it back as it was
    String original = Files.readString(TOKENS);
    FileTime before = Files.getLastModifiedTime(TOKENS);
    try {
      Files.writeString(TOKENS, "ops:admin:ops-secret-2\nviewer:read:viewer-secret-1\n");
      Files.setLastModifiedTime(TOKENS, FileTime.from(before.toInstant().plusSeconds(5)));
      assertThat(Http.send(port(), "GET", "/api/runs", null, bearer("ops-secret-1")).status())
          .isEqualTo(401);
      assertThat(Http.send(port(), "GET", "/api/runs", null, bearer("ops-secret-2")).status())
          .isEqualTo(200);
      // a broken edit fails closed for the file's tokens, never open
      Files.writeString(TOKENS, "garbage\n");
      Files.setLastModifiedTime(TOKENS, FileTime.from(before.toInstant().plusSeconds(10)));
      assertThat(Http.send(port(), "GET", "/api/runs", null, bearer("ops-secret-2")).status())
          .isEqualTo(401);
      assertThat(Http.send(port(), "GET", "/api/runs", null).status()).isEqualTo(401);
      assertThat(Http.send(port(), "GET", "/api/runs", null, bearer("t")).status()).isEqualTo(200);
    } finally {
      Files.writeString(TOKENS, original);
      Files.setLastModifiedTime(TOKENS, FileTime.from(Instant.now().plusSeconds(20)));
    }
    assertThat(Http.send(port(), "GET", "/api/runs", null, bearer("ops-secret-1")).status())
        .isEqualTo(200);
  }

  @Test
  void behindAProxyThePublicUrlIsLifeboatsOrigin() {
    // the proxy forwards to 127.0.0.1, the browser's Origin names the public URL
    Http.Reply viaProxy =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/reload",
            null,
            bearer("t"),
            "Origin: https://lifeboat.example.org",
            "Sec-Fetch-Site: same-origin");
    assertThat(viaProxy.status()).isEqualTo(200);
    for (String origin :
        new String[] {
          "https://lifeboat.example.org.evil.example",
          "http://lifeboat.example.org",
          "https://lifeboat.example.org:8443"
        }) {
      Http.Reply r =
          Http.send(port(), "POST", "/api/runbooks/reload", null, bearer("t"), "Origin: " + origin);
      assertThat(r.status()).as(origin).isEqualTo(403);
      assertThat(r.json().get("error").asText()).as(origin).contains("not Lifeboat's");
    }
  }

  @Test
  void theCliSendsTheToken() {
    String url = "http://127.0.0.1:" + port();
    CliTest.Outcome without = CliTest.cliAt(url, "list", "runbooks");
    assertThat(without.exit()).isEqualTo(2);
    assertThat(without.err()).contains("LIFEBOAT_API_TOKEN");
    ApiCommand.useToken("t");
    try {
      CliTest.Outcome with = CliTest.cliAt(url, "list", "runbooks");
      assertThat(with.exit()).isZero();
      assertThat(with.out()).contains("gate");
    } finally {
      ApiCommand.useToken(null);
    }
  }

  private static Path tokensFile(String text) {
    try {
      Path f = TestFolders.temp("tokens-file").resolve("tokens");
      Files.writeString(f, text);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
