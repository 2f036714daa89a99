package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the API tells and refuses about runs: failed attempts, parameters checked against action
 * arguments before anything starts, size limits, audited approvals with approver groups, lost runs.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class RunAuditApiTest {
  static final Path RUNBOOKS =
      TestFolders.runbooks(
          "run-audit",
          """
      name: keep
      params:
        - name: keepWithin
          type: duration
          default: 30d
        - name: source
          type: setname
          default: home
      steps:
        - id: prune
          action: prune
          with: {set: local, source: "${params.source}", keepWithin: "${params.keepWithin}"}
      """,
          """
      name: check
      steps:
        - id: verify
          action: verify
          with: {archive: "/nowhere/20260101T000000Z.tar.gz"}
      """,
          """
      name: guarded
      steps:
        - id: wipe
          action: approval
          with: {message: "wipe?", group: ops}
      """,
          """
      name: gates
      steps:
        - id: first
          action: approval
          with: {message: "first?"}
        - id: second
          action: approval
          with: {message: "second?"}
        - id: work
          action: verify
          with: {archive: "/nowhere/20260101T000000Z.tar.gz"}
      """,
          """
      name: open
      steps:
        - id: go
          action: approval
          with: {message: "go?", group: locals}
      """);

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", RUNBOOKS.toString()),
          ConfigOverride.config("repository", TestFolders.temp("run-audit-repo").toString()),
          ConfigOverride.config("approvers.ops", "alice,bob"),
          ConfigOverride.config("approvers.locals", "local"));

  ApiClient api;

  @BeforeEach
  void client() {
    api = new ApiClient(APP.getLocalPort());
  }

  private String status(String id) {
    return api.get("/api/runs/" + ApiClient.enc(id)).body().get("status").asText();
  }

  private JsonNode step(String id, String stepId) {
    for (JsonNode s : api.get("/api/runs/" + ApiClient.enc(id)).body().get("steps")) {
      if (s.get("id").asText().equals(stepId)) {
        return s;
      }
    }
    throw new AssertionError("no step " + stepId);
  }

  @Test
  void aFailedAttemptIsListedWithItsErrorAndTime() {
    long before = System.currentTimeMillis();
    String id = api.post("/api/runbooks/check/runs", "{}").body().get("id").asText();
    await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(id)));
    JsonNode attempts = step(id, "verify").get("attempts");
    assertThat(attempts.size()).as("a check failure is not retried: one attempt").isEqualTo(1);
    assertThat(attempts.get(0).get("error").asText()).contains("/nowhere");
    assertThat(attempts.get(0).get("at").asLong()).isGreaterThanOrEqualTo(before);
  }

  @Test
  void aParameterTheActionWouldRefuseIsA400NamingItAndNothingStarts() {
    ApiClient.Answer a =
        api.post("/api/runbooks/keep/runs", "{\"params\": {\"keepWithin\": \"0s\"}}");
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.body().get("param").asText()).isEqualTo("keepWithin");
    assertThat(a.body().get("error").asText()).contains("keepWithin", "longer than 0");

    ApiClient.Answer b =
        api.post("/api/runbooks/keep/runs", "{\"params\": {\"source\": \"../etc\"}}");
    assertThat(b.status()).isEqualTo(400);
    assertThat(b.body().get("param").asText()).isEqualTo("source");

    // half a surrogate pair, which JSON can spell and no file name can hold
    ApiClient.Answer c =
        api.post("/api/runbooks/keep/runs", "{\"params\": {\"source\": \"a\\ud800\"}}");
    assertThat(c.status()).isEqualTo(400);
    assertThat(c.body().get("param").asText()).isEqualTo("source");
    assertThat(c.body().get("error").asText()).contains("not Unicode text");

    // a key given twice is refused, not read as its last value
    ApiClient.Answer d =
        api.post(
            "/api/runbooks/keep/runs", "{\"params\": {\"source\": \"home\", \"source\": \"etc\"}}");
    assertThat(d.status()).isEqualTo(400);
    assertThat(d.body().get("error").asText()).contains("duplicate field 'source'");

    assertThat(api.get("/api/runs").body().findValuesAsText("runbook")).doesNotContain("keep");
  }

  @Test
  void oversizedParametersAndBodiesAreRefusedAtOnce() {
    String big = "x".repeat(5 * 1024 * 1024);
    byte[] body =
        ("{\"params\": {\"source\": \"" + big + "\"}}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.net.URI start =
        java.net.URI.create("http://127.0.0.1:" + APP.getLocalPort() + "/api/runbooks/keep/runs");
    // with Content-Length the refusal comes before any of the body is read; like curl for large
    // bodies, the
    // client asks first (Expect: 100-continue), so it never races the server's close with its
    // upload
    String huge = expectContinue("/api/runbooks/keep/runs", body.length);
    assertThat(huge).startsWith("HTTP/1.1 400").contains("larger than 1024 KiB");

    // without a Content-Length (chunked) the limit holds while reading: the server answers 400 and
    // closes
    // the connection with the rest unread, so the client sees the 400 or, still uploading, a closed
    // pipe
    try {
      var chunked =
          send(
              java.net.http.HttpRequest.newBuilder(start)
                  .header("Content-Type", "application/json")
                  .POST(
                      java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                          () -> new java.io.ByteArrayInputStream(body)))
                  .build());
      assertThat(chunked.statusCode()).isEqualTo(400);
      assertThat(chunked.body()).contains("larger than 1024 KiB");
    } catch (java.io.UncheckedIOException closedWhileUploading) {
      assertThat(closedWhileUploading.getCause()).isInstanceOf(java.io.IOException.class);
    }

    String large = "x".repeat(100 * 1024);
    ApiClient.Answer param =
        api.post("/api/runbooks/keep/runs", "{\"params\": {\"source\": \"" + large + "\"}}");
    assertThat(param.status()).isEqualTo(400);
    assertThat(param.body().get("param").asText()).isEqualTo("source");
    assertThat(param.body().get("error").asText()).contains("larger than 64 KiB");
    assertThat(api.get("/api/runs").body().findValuesAsText("runbook")).doesNotContain("keep");
  }

  /**
   * Sends only the headers of a JSON POST announcing {@code length} bytes and returns the whole
   * answer.
   */
  private static String expectContinue(String path, int length) {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", APP.getLocalPort())) {
      socket.setSoTimeout(30_000);
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
              + length
              + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static java.net.http.HttpResponse<String> send(java.net.http.HttpRequest request) {
    try {
      return java.net.http.HttpClient.newHttpClient()
          .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anApprovalOutsideTheRequiredGroupIs403AndTheRunKeepsWaiting() {
    String id = api.post("/api/runbooks/guarded/runs", "{}").body().get("id").asText();
    await().atMost(Duration.ofSeconds(20)).until(() -> "WAITING_FOR_APPROVAL".equals(status(id)));
    assertThat(step(id, "wipe").get("approvalGroup").asText()).isEqualTo("ops");
    ApiClient.Answer refused = api.post("/api/runs/" + ApiClient.enc(id) + "/approve/wipe", "");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.contentType()).startsWith("application/json");
    assertThat(refused.body().get("group").asText()).isEqualTo("ops");
    assertThat(refused.body().get("by").asText()).isEqualTo("local");
    assertThat(status(id)).isEqualTo("WAITING_FOR_APPROVAL");
    assertThat(api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", "").status()).isEqualTo(202);
  }

  @Test
  void anApprovalRecordsWhoWhenWhereAndTheComment() {
    String id = api.post("/api/runbooks/open/runs", "{}").body().get("id").asText();
    await().atMost(Duration.ofSeconds(20)).until(() -> "WAITING_FOR_APPROVAL".equals(status(id)));
    long before = System.currentTimeMillis();
    ApiClient.Answer ok =
        api.post(
            "/api/runs/" + ApiClient.enc(id) + "/approve/go",
            "{\"comment\": \"disk replaced, checked SMART\"}");
    assertThat(ok.status()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> "COMPLETED".equals(status(id)));
    JsonNode approval = step(id, "go").get("approval");
    assertThat(approval.get("by").asText()).isEqualTo("local");
    assertThat(approval.get("from").asText()).isEqualTo("127.0.0.1");
    assertThat(approval.get("comment").asText()).isEqualTo("disk replaced, checked SMART");
    assertThat(approval.get("at").asLong()).isGreaterThanOrEqualTo(before);
  }

  @Test
  void onlyAWaitingApprovalStepCanBeApprovedAndOnlyOnce() {
    String id = api.post("/api/runbooks/gates/runs", "{}").body().get("id").asText();
    String run = "/api/runs/" + ApiClient.enc(id);
    await().atMost(Duration.ofSeconds(20)).until(() -> "WAITING_FOR_APPROVAL".equals(status(id)));

    ApiClient.Answer early = api.post(run + "/approve/second", "");
    assertThat(early.status()).isEqualTo(409);
    assertThat(early.contentType()).startsWith("application/json");
    assertThat(early.body().get("error").asText())
        .isEqualTo("step 'second' is not waiting for approval (it is PENDING)");
    ApiClient.Answer notAGate = api.post(run + "/approve/work", "");
    assertThat(notAGate.status()).isEqualTo(409);
    assertThat(notAGate.body().get("error").asText())
        .isEqualTo("step 'work' is not an approval step");
    assertThat(step(id, "work").get("approvalStep").asBoolean()).isFalse();

    // two approvals at once: the run takes one, the other hears it came second
    var a =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> api.post(run + "/approve/first", ""));
    var b =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> api.post(run + "/approve/first", ""));
    assertThat(java.util.List.of(a.join().status(), b.join().status()))
        .containsExactlyInAnyOrder(202, 409);
    ApiClient.Answer loser = a.join().status() == 409 ? a.join() : b.join();
    assertThat(loser.body().get("error").asText())
        .isEqualTo("step 'first' is already approved by local");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "WAITING_FOR_APPROVAL".equals(step(id, "second").get("state").asText()));
    assertThat(step(id, "second").get("approval").isNull())
        .as("the early approval did not count")
        .isTrue();
    ApiClient.Answer twice = api.post(run + "/approve/first", "");
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.body().get("error").asText())
        .isEqualTo("step 'first' is already approved by local");
    assertThat(api.post(run + "/approve/second", "").status()).isEqualTo(202);

    await().atMost(Duration.ofSeconds(30)).until(() -> "FAILED".equals(status(id)));
    ApiClient.Answer ended = api.post(run + "/approve/second", "");
    assertThat(ended.status()).isEqualTo(409);
    assertThat(ended.body().get("error").asText())
        .isEqualTo("run '" + id + "' has already ended (FAILED)");
    assertThat(api.post(run + "/cancel", "").body().get("error").asText())
        .isEqualTo("run '" + id + "' has already ended (FAILED)");
  }

  @Test
  void aRunIdTemporalDoesNotKnowIsALostRun() {
    ApiClient.Answer lost = api.get("/api/runs/" + ApiClient.enc("keep@20200101T000000.000Z"));
    assertThat(lost.status()).isEqualTo(404);
    assertThat(lost.body().get("lost").asBoolean()).isTrue();
    assertThat(lost.body().get("error").asText())
        .contains("Lifeboat restarted; this run's state was in memory");
    ApiClient.Answer unknown = api.get("/api/runs/not-a-run-id");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body().has("lost")).isFalse();
  }
}
