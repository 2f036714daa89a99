package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Lifeboat without tokens, as started with no configuration: loopback only, state changes only as
 * same-origin JSON, admin tasks shut, and every error JSON, including Jetty's own.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class OpenAccessApiTest {
  static final String GATE =
      """
      name: gate
      params:
        - name: who
          required: true
      steps:
        - id: ask
          action: approval
          with:
            message: "for ${params.who}"
      """;

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", TestFolders.runbooks("open", GATE).toString()),
          ConfigOverride.config("repository", TestFolders.temp("open-repo").toString()));

  int port() {
    return APP.getLocalPort();
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    assertThat(Http.listeningAddresses(port()))
        .as("the API's listening sockets")
        .isNotEmpty()
        .allMatch(Http::isLoopback);
  }

  @Test
  void aPostWithoutOriginWorksAsBefore() {
    Http.Reply r =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"curl\"}}",
            "Content-Type: application/json");
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.json().get("id").asText()).startsWith("gate@");
    Http.Reply sameOrigin =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"page\"}}",
            "Content-Type: application/json; charset=utf-8",
            "Origin: http://127.0.0.1:" + port(),
            "Sec-Fetch-Site: same-origin");
    assertThat(sameOrigin.status()).isEqualTo(202);
  }

  @Test
  void onlyJsonMayChangeState() {
    int before = runsOf("gate");
    Http.Reply text =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: text/plain");
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.header("Content-Type")).startsWith("application/json");
    assertThat(text.json().get("error").asText()).contains("application/json");
    Http.Reply noType =
        Http.send(port(), "POST", "/api/runbooks/gate/runs", "{\"params\": {\"who\": \"x\"}}");
    assertThat(noType.status()).isEqualTo(415);
    Http.Reply form =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/reload",
            "a=b",
            "Content-Type: application/x-www-form-urlencoded");
    assertThat(form.status()).isEqualTo(415);
    assertThat(runsOf("gate")).isEqualTo(before);
    // a POST with no body needs no Content-Type (approve, cancel, reload)
    assertThat(Http.send(port(), "POST", "/api/runbooks/reload", null).status()).isEqualTo(200);
  }

  @Test
  void crossSiteRequestsAreRefused() {
    int before = runsOf("gate");
    Http.Reply foreign =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: application/json",
            "Origin: http://evil.example");
    assertThat(foreign.status()).isEqualTo(403);
    assertThat(foreign.header("Content-Type")).startsWith("application/json");
    assertThat(foreign.json().get("error").asText()).contains("http://evil.example");
    Http.Reply otherPort =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: application/json",
            "Origin: http://127.0.0.1:1");
    assertThat(otherPort.status()).isEqualTo(403);
    Http.Reply nullOrigin =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: application/json",
            "Origin: null");
    assertThat(nullOrigin.status()).isEqualTo(403);
    Http.Reply fetchSite =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: application/json",
            "Sec-Fetch-Site: cross-site");
    assertThat(fetchSite.status()).isEqualTo(403);
    assertThat(fetchSite.json().get("error").asText()).contains("cross-site");
    Http.Reply sameSite =
        Http.send(
            port(),
            "POST",
            "/api/runbooks/gate/runs",
            "{\"params\": {\"who\": \"x\"}}",
            "Content-Type: application/json",
            "Sec-Fetch-Site: same-site");
    assertThat(sameSite.status()).isEqualTo(403);
    assertThat(runsOf("gate")).isEqualTo(before);
  }

  @Test
  void aNameThatOnlyResolvesHereIsNotEnough() {
    // DNS rebinding: a web page's own host name pointed at 127.0.0.1 reaches a loopback port
    Http.Reply rebound =
        Http.send(port(), "GET", "/api/runs", null, "Host: evil.example:" + port());
    assertThat(rebound.status()).isEqualTo(403);
    assertThat(rebound.json().get("error").asText()).contains("evil.example");
    assertThat(Http.send(port(), "GET", "/api/runs", null, "Host: localhost:" + port()).status())
        .isEqualTo(200);
    // names that only begin like a loopback address are anyone's
    for (String host :
        new String[] {
          "127.evil.example", "127.0.0.1evil.com", "127.0.0.1.nip.io", "127.1.2.300", "127.0.0.01a"
        }) {
      Http.Reply r = Http.send(port(), "GET", "/api/runs", null, "Host: " + host + ":" + port());
      assertThat(r.status()).as(host).isEqualTo(403);
    }
    for (String host : new String[] {"127.0.0.1", "127.1.2.3", "[::1]", "app.localhost"}) {
      Http.Reply r = Http.send(port(), "GET", "/api/runs", null, "Host: " + host + ":" + port());
      assertThat(r.status()).as(host).isEqualTo(200);
    }
  }

  @Test
  void adminTasksAreShut() {
    for (String task :
        new String[] {
          "/admin/tasks/gc", "/admin/tasks/log-level", "/admin/%74asks/gc", "/admin/tasks"
        }) {
      Http.Reply r = Http.send(port(), "POST", task + "?logger=io.grpc&level=TRACE", null);
      assertThat(r.status()).as(task).isEqualTo(404);
      assertThat(r.json().get("error").asText()).as(task).contains("disabled");
    }
  }

  @Test
  void probesAnswer() {
    Http.Reply live = Http.send(port(), "GET", "/admin/health/live", null);
    assertThat(live.status()).isEqualTo(200);
    assertThat(live.json().get("status").asText()).isEqualTo("up");
    Http.Reply ready = Http.send(port(), "GET", "/admin/health/ready", null);
    assertThat(ready.status()).isEqualTo(200);
  }

  @Test
  void jettysOwnErrorsAreJson() {
    // (outside /api and /admin only the page's files are served: an unknown one is an empty 404)
    for (String path :
        new String[] {
          "/admin/nope",
          "/api/runs/a%2Fb",
          "/api/runs/%",
          "/api/runs/a%2fb/cancel",
          "/api/nope",
          "/admin/nope",
          "/api/runs/%zz"
        }) {
      Http.Reply r = Http.send(port(), "GET", path, null, "Accept: text/html");
      assertThat(r.status()).as(path).isBetween(400, 499);
      assertThat(r.header("Content-Type")).as(path + " " + r.body()).startsWith("application/json");
      assertThat(r.json().get("error").asText()).as(path).isNotBlank();
    }
    Http.Reply garbage = Http.send(port(), "GET", "/api/runs/a b", null);
    assertThat(garbage.status()).isEqualTo(400);
    assertThat(garbage.header("Content-Type")).startsWith("application/json");
    assertThat(garbage.json().get("status").asInt()).isEqualTo(400);
  }

  @Test
  void withoutTokensTheCallerIsLocal() {
    Http.Reply who = Http.send(port(), "GET", "/api/session", null);
    assertThat(who.status()).isEqualTo(200);
    assertThat(who.json().get("name").asText()).isEqualTo("local");
    assertThat(who.json().get("tokens").asBoolean()).isFalse();
  }

  private int runsOf(String runbook) {
    int n = 0;
    for (var r : Http.send(port(), "GET", "/api/runs", null).json()) {
      n += r.get("runbook").asText().equals(runbook) ? 1 : 0;
    }
    return n;
  }
}
