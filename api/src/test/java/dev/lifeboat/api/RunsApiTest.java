package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runbooks and runs through the real application on the embedded Temporal server. */
@ExtendWith(DropwizardExtensionsSupport.class)
class RunsApiTest {
  static final Path RUNBOOKS =
      TestFolders.runbooks(
          "runs-api",
          """
      name: gate
      description: waits for a human
      params:
        - name: who
          required: true
        - name: count
          type: integer
          default: 3
      steps:
        - id: ask
          action: approval
          with:
            message: "check on ${params.who}"
      """,
          """
      name: broken
      steps:
        - id: a
          action: no-such-action
      """);
  static final Path REPOSITORY = TestFolders.temp("runs-api-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", RUNBOOKS.toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()));

  ApiClient api;

  @BeforeEach
  void client() {
    api = new ApiClient(APP.getLocalPort());
  }

  @Test
  void listsValidAndInvalidRunbooks() {
    ApiClient.Answer a = api.get("/api/runbooks");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().isArray()).as("a JSON array of runbooks").isTrue();
    assertThat(a.body().findValuesAsText("name")).contains("gate", "broken");
    var broken = find(a, "broken");
    assertThat(broken.get("valid").asBoolean()).isFalse();
    assertThat(broken.get("reason").asText()).contains("unknown action 'no-such-action'");
    assertThat(broken.get("line").asInt()).isEqualTo(4);
    var gate = find(a, "gate");
    assertThat(gate.get("valid").asBoolean()).isTrue();
    assertThat(gate.get("params").get(1).get("defaultValue").asInt()).isEqualTo(3);
  }

  @Test
  void approvalRunWaitsThenCompletes() {
    ApiClient.Answer started =
        api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"the drive\"}}");
    assertThat(started.status()).isEqualTo(202);
    String id = started.body().get("id").asText();
    assertThat(id).startsWith("gate@");
    assertThat(started.body().get("links").get("self").asText())
        .isEqualTo("/api/runs/" + ApiClient.enc(id));

    await().atMost(Duration.ofSeconds(20)).until(() -> "WAITING_FOR_APPROVAL".equals(status(id)));
    ApiClient.Answer waiting = api.get("/api/runs/" + ApiClient.enc(id));
    assertThat(waiting.body().get("steps").get(0).get("message").asText())
        .isEqualTo("check on the drive");
    assertThat(waiting.body().get("currentStep").asText()).isEqualTo("ask");

    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/approve/nope", "").status())
        .isEqualTo(404);
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/approve/ask", "").status())
        .isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> "COMPLETED".equals(status(id)));
    ApiClient.Answer done = api.get("/api/runs/" + ApiClient.enc(id));
    assertThat(done.body().get("steps").get(0).get("state").asText()).isEqualTo("SUCCEEDED");

    ApiClient.Answer list = api.get("/api/runs");
    assertThat(list.body().isArray()).as("a JSON array of runs").isTrue();
    assertThat(list.body().findValuesAsText("id")).contains(id);
    for (var r : list.body()) {
      if (r.get("id").asText().equals(id)) {
        assertThat(r.get("status").asText()).isEqualTo("COMPLETED");
        assertThat(r.get("endedAt").asLong())
            .isGreaterThanOrEqualTo(r.get("startedAt").asLong())
            .isPositive();
      }
    }
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "").status()).isEqualTo(409);
  }

  @Test
  void aBodyThatIsNotDeclaredJsonIsRefusedAndStartsNothing() throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        "http://127.0.0.1:" + APP.getLocalPort() + "/api/runbooks/gate/runs"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"params\": {\"who\": \"form\"}}"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .contains("application/json");
    assertThat(response.body()).contains("application/json");
  }

  @Test
  void cancelEndsTheRunCanceled() {
    String id =
        api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"x\"}}")
            .body()
            .get("id")
            .asText();
    await().atMost(Duration.ofSeconds(20)).until(() -> "WAITING_FOR_APPROVAL".equals(status(id)));
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "").status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> "CANCELED".equals(status(id)));
    assertThat(
            api.get("/api/runs/" + ApiClient.enc(id))
                .body()
                .get("steps")
                .get(0)
                .get("state")
                .asText())
        .isEqualTo("SKIPPED");
  }

  @Test
  void badRequestsAnswerJsonErrors() {
    ApiClient.Answer unknown = api.post("/api/runbooks/nope/runs", "{}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body().get("error").asText()).contains("no runbook named 'nope'");

    ApiClient.Answer missing = api.post("/api/runbooks/gate/runs", "{\"params\": {}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.body().get("param").asText()).isEqualTo("who");
    assertThat(missing.body().get("error").asText()).contains("'who'").contains("required");

    ApiClient.Answer badType =
        api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"a\", \"count\": \"many\"}}");
    assertThat(badType.status()).isEqualTo(400);
    assertThat(badType.body().get("param").asText()).isEqualTo("count");

    ApiClient.Answer extra =
        api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"a\", \"colour\": 1}}");
    assertThat(extra.status()).isEqualTo(400);
    assertThat(extra.body().get("param").asText()).isEqualTo("colour");

    ApiClient.Answer notJson = api.post("/api/runbooks/gate/runs", "{\"params\": ");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.body().get("error").asText()).contains("not valid JSON");

    ApiClient.Answer notAnObject = api.post("/api/runbooks/gate/runs", "[1, 2]");
    assertThat(notAnObject.status()).isEqualTo(400);
    assertThat(notAnObject.body().get("error").asText()).contains("must be a JSON object");

    ApiClient.Answer paramsNotObject = api.post("/api/runbooks/gate/runs", "{\"params\": [1]}");
    assertThat(paramsNotObject.status()).isEqualTo(400);
    assertThat(paramsNotObject.body().get("error").asText())
        .contains("'params' must be a JSON object");

    ApiClient.Answer invalid = api.post("/api/runbooks/broken/runs", "{}");
    assertThat(invalid.status()).isEqualTo(409);
    assertThat(invalid.body().get("error").asText()).contains("broken.yaml:4");

    ApiClient.Answer noRun = api.get("/api/runs/" + ApiClient.enc("gate@19700101T000000.000Z"));
    assertThat(noRun.status()).isEqualTo(404);
    assertThat(noRun.body().get("error").asText()).contains("no run with id");

    ApiClient.Answer noPath = api.get("/api/nothing-here");
    assertThat(noPath.status()).isEqualTo(404);
    assertThat(noPath.contentType()).contains("application/json");
    assertThat(noPath.body().get("error")).isNotNull();
  }

  @Test
  void aMalformedBodySaysWhatAndWhereInPlainWords() {
    ApiClient.Answer cut = api.post("/api/runbooks/gate/runs", "{\"params\": {\"who\": \"a\"}");
    assertThat(cut.status()).isEqualTo(400);
    assertThat(cut.body().get("error").asText())
        .startsWith("the request body is not valid JSON: unexpected end-of-input")
        .containsPattern("at line 1, column \\d+$");
    assertThat(cut.body().get("line").asInt()).isEqualTo(1);

    ApiClient.Answer comment =
        api.post(
            "/api/runs/" + ApiClient.enc("gate@20200101T000000.000Z") + "/approve/ask",
            "{\n  // hi\n}");
    assertThat(comment.status()).isEqualTo(400);
    assertThat(comment.body().get("error").asText())
        .startsWith("the request body is not valid JSON: ")
        .endsWith("at line 2, column 3");

    ApiClient.Answer nan = api.post("/api/runbooks/gate/runs", "{\"params\": {\"count\": NaN}}");
    ApiClient.Answer trailing = api.post("/api/runbooks/gate/runs", "{\"params\": {}} {}");
    ApiClient.Answer signIn = api.post("/api/session", "{\"token\": ");
    for (ApiClient.Answer a : java.util.List.of(cut, comment, nan, trailing, signIn)) {
      assertThat(a.status()).as(a.raw()).isEqualTo(400);
      assertThat(a.body().get("error").asText())
          .as("no parser internals")
          .startsWith("the request body is not valid JSON: ")
          .doesNotContain("Feature", "Source", "REDACTED", "`", "jackson", "com.", "VALUE_");
    }
  }

  @Test
  void aPageThatDoesNotExistIsAJsonErrorAndThePageStillLoads() {
    ApiClient.Answer none = api.get("/nonexistent");
    assertThat(none.status()).isEqualTo(404);
    assertThat(none.contentType()).startsWith("application/json");
    assertThat(none.body().get("error").asText()).isEqualTo("no such page: /nonexistent");
    assertThat(api.get("/no/such/file.js").body().get("error").asText())
        .isEqualTo("no such page: /no/such/file.js");

    ApiClient.Answer page = api.get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    assertThat(page.raw()).contains("<html");
    ApiClient.Answer script = api.get("/app.js");
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.contentType()).contains("javascript");
  }

  @Test
  void reloadPicksUpNewAndBrokenFiles() throws IOException {
    Files.writeString(
        RUNBOOKS.resolve("later.yaml"),
        """
        name: later
        steps:
          - id: wait
            action: approval
            with:
              message: hi
        """);
    Files.writeString(RUNBOOKS.resolve("bad-yaml.yaml"), "name: [unclosed\n");
    ApiClient.Answer r = api.post("/api/runbooks/reload", "");
    assertThat(r.status()).isEqualTo(200);
    assertThat(find(r, "later").get("valid").asBoolean()).isTrue();
    assertThat(find(r, "bad-yaml").get("valid").asBoolean()).isFalse();
    assertThat(find(r, "bad-yaml").get("reason").asText()).contains("bad YAML");
    assertThat(find(r, "gate").get("valid").asBoolean()).isTrue();
    ApiClient.Answer health = new ApiClient(APP.getAdminPort()).get("/admin/healthcheck");
    assertThat(health.status()).isEqualTo(500);
    assertThat(health.body().get("runbooks").get("message").asText()).contains("bad-yaml.yaml");
    assertThat(health.body().get("temporal").get("healthy").asBoolean()).isTrue();
  }

  private String status(String id) {
    ApiClient.Answer a = api.get("/api/runs/" + ApiClient.enc(id));
    return a.status() == 200 ? a.body().get("status").asText() : "HTTP " + a.status();
  }

  private static com.fasterxml.jackson.databind.JsonNode find(ApiClient.Answer a, String name) {
    for (var n : a.body().isArray() ? a.body() : a.body().get("runbooks")) {
      if (n.get("name").asText().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no runbook " + name + " in " + a.raw());
  }
}
