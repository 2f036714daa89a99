package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.api.core.RunbookSchedules;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shipped and test schedules as Temporal Schedules on a real Temporal dev server ({@code
 * LIFEBOAT_TEST_TEMPORAL_ADDRESS}; scripts/test.sh starts one). Each run uses its own schedule id
 * prefix, so runs on a shared server do not see each other's schedules.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class SchedulesApiTest {
  static final String ADDRESS = System.getenv("LIFEBOAT_TEST_TEMPORAL_ADDRESS");
  static final String PREFIX = "t-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  // a folder whose backup cannot read everything: its schedule's last run completes with warnings
  static final Path GAPS = TestFolders.temp("sched-gaps").resolve("notes");
  static final Path RUNBOOKS =
      shippedRunbooksPlus(
          """
      name: probe
      description: waits for a person, so a run of it stays running
      schedules:
        - name: probe-dst
          cron: "0 3 27-29 3 *"
          timezone: Europe/Berlin
        - name: probe-gate
          cron: "@yearly"
          params: {who: scheduler}
        - name: probe-twice
          cron: "@yearly"
      params:
        - name: who
          default: nobody
      steps:
        - id: ask
          action: approval
          with:
            message: "go on, ${params.who}"
      """,
          """
      name: gappy
      schedules:
        - name: probe-gaps
          cron: "@yearly"
          params: {path: "%s"}
      params:
        - name: path
          required: true
      steps:
        - id: archive
          action: backup
          with: {path: "${params.path}"}
      """
              .formatted(GAPS),
          """
      name: editable
      schedules:
        - name: editable-daily
          cron: "0 6 * * *"
      steps:
        - id: ask
          action: approval
          with:
            message: "edit me"
      """);
  static final Path REPOSITORY = TestFolders.temp("sched-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class, LifeboatApplication.BUILT_IN_CONFIG, config());

  /**
   * Fresh overrides for each app: an override remembers the system property it replaced, so one
   * shared by two apps would leave the dev server's address behind for the next test class.
   */
  static ConfigOverride[] config() {
    return new ConfigOverride[] {
      ConfigOverride.config("server.connector.port", "0"),
      ConfigOverride.config("runbooks", RUNBOOKS.toString()),
      ConfigOverride.config("repository", REPOSITORY.toString()),
      ConfigOverride.config("temporal.address", ADDRESS == null ? "" : ADDRESS),
      ConfigOverride.config("temporal.schedulePrefix", PREFIX)
    };
  }

  static final Set<String> SHIPPED =
      Set.of(
          "tier1-notebooks",
          "tier1-models",
          "tier2-weekly",
          "tier3-monthly",
          "drill-tier1",
          "drill-tier2",
          "drill-tier3");

  static WorkflowServiceStubs service;
  static ScheduleClient schedules;
  ApiClient api;

  @BeforeAll
  static void server() {
    Assumptions.assumeTrue(
        ADDRESS != null, "needs a Temporal dev server: LIFEBOAT_TEST_TEMPORAL_ADDRESS");
    service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(ADDRESS).build());
    schedules =
        ScheduleClient.newInstance(
            service, ScheduleClientOptions.newBuilder().setNamespace("default").build());
  }

  @AfterAll
  static void cleanUp() {
    if (schedules != null) {
      schedules
          .listSchedules()
          .map(ScheduleListDescription::getScheduleId)
          .filter(id -> id.startsWith(PREFIX))
          .forEach(id -> schedules.getHandle(id).delete());
      service.shutdown();
    }
  }

  @BeforeEach
  void client() {
    api = new ApiClient(APP.getLocalPort());
  }

  @Test
  void everyShippedScheduleExistsWithItsSpecJitterOverlapCatchUpAndState() {
    for (String name : SHIPPED) {
      ScheduleDescription d = schedules.getHandle(PREFIX + name).describe();
      assertThat(d.getSchedule().getSpec().getJitter()).as(name).isEqualTo(Duration.ofMinutes(30));
      assertThat(d.getSchedule().getSpec().getTimeZoneName()).as(name).isIn("UTC", "");
      assertThat(d.getSchedule().getPolicy().getOverlap())
          .as(name)
          .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
      assertThat(d.getSchedule().getPolicy().getCatchupWindow())
          .as(name)
          .isEqualTo(RunbookSchedules.CATCHUP_WINDOW);
      assertThat(d.getSchedule().getState().isPaused()).as(name).isFalse();
      ScheduleActionStartWorkflow action =
          (ScheduleActionStartWorkflow) d.getSchedule().getAction();
      assertThat(action.getWorkflowType()).isEqualTo("RunbookWorkflow");
      assertThat(action.getOptions().getWorkflowId()).endsWith("@sched-" + name);
      // created, never fired: a fresh install does not run every schedule at first start
      assertThat(d.getInfo().getNumActions()).as(name).isZero();
    }

    JsonNode list = api.get("/api/schedules").body();
    assertThat(list.findValuesAsText("name")).containsAll(SHIPPED);
    JsonNode notebooks = item(list, "tier1-notebooks");
    assertThat(notebooks.get("runbook").asText()).isEqualTo("tier1-critical");
    assertThat(notebooks.get("cron").asText()).isEqualTo("0 2 * * *");
    assertThat(notebooks.get("enabled").asBoolean()).isTrue();
    assertThat(notebooks.get("paused").asBoolean()).isFalse();
    assertThat(notebooks.get("last").isNull()).isTrue();
    assertThat(notebooks.get("skipped").asLong()).isZero();
    // daily at 02:00 UTC plus up to 30 minutes of jitter, three days in a row
    List<Instant> next = instants(notebooks.get("next"));
    assertThat(next).hasSize(3);
    for (int i = 0; i < 3; i++) {
      OffsetDateTime t = next.get(i).atOffset(ZoneOffset.UTC);
      assertThat(t.getHour() * 60 + t.getMinute()).as(t.toString()).isBetween(120, 150);
      if (i > 0) {
        assertThat(Duration.between(next.get(i - 1), next.get(i)).toHours()).isBetween(23L, 24L);
      }
    }
    JsonNode weekly = item(list, "tier2-weekly");
    for (Instant t : instants(weekly.get("next"))) {
      assertThat(t.atOffset(ZoneOffset.UTC).getDayOfWeek()).isEqualTo(java.time.DayOfWeek.SUNDAY);
    }
  }

  @Test
  void nextFireTimesFollowTheTimeZoneAcrossTheSpringDstChange() {
    // 03:00 in Berlin is 02:00Z in winter time and 01:00Z from the last Sunday of March
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    int year = ZonedDateTime.now(berlin).getYear();
    if (!ZonedDateTime.of(year, 3, 27, 3, 0, 0, 0, berlin).toInstant().isAfter(Instant.now())) {
      year++;
    }
    List<Instant> expected = new ArrayList<>();
    for (int day = 27; day <= 29; day++) {
      expected.add(ZonedDateTime.of(year, 3, day, 3, 0, 0, 0, berlin).toInstant());
    }
    assertThat(
            schedules
                .getHandle(PREFIX + "probe-dst")
                .describe()
                .getInfo()
                .getNextActionTimes()
                .subList(0, 3))
        .containsExactlyElementsOf(expected);
    JsonNode probe = item(api.get("/api/schedules").body(), "probe-dst");
    assertThat(probe.get("timezone").asText()).isEqualTo("Europe/Berlin");
    assertThat(instants(probe.get("next"))).containsExactlyElementsOf(expected);
    // shown in the schedule's own zone, so the wall-clock time is readable
    assertThat(probe.get("next").get(0).asText()).contains("T03:00:00+0");
  }

  @Test
  void pauseResumeTriggerAndErrors() {
    JsonNode paused = api.post("/api/schedules/probe-gate/pause", null).body();
    assertThat(paused.get("paused").asBoolean()).isTrue();
    assertThat(
            schedules
                .getHandle(PREFIX + "probe-gate")
                .describe()
                .getSchedule()
                .getState()
                .isPaused())
        .isTrue();
    assertThat(api.post("/api/schedules/probe-gate/resume", null).body().get("paused").asBoolean())
        .isFalse();
    assertThat(
            schedules
                .getHandle(PREFIX + "probe-gate")
                .describe()
                .getSchedule()
                .getState()
                .isPaused())
        .isFalse();

    ApiClient.Answer started = api.post("/api/schedules/probe-gate/trigger", null);
    assertThat(started.status()).as(started.raw()).isEqualTo(202);
    String id = started.body().get("id").asText();
    assertThat(id).startsWith("probe@sched-probe-gate-");
    // an ordinary run: the same API shows it, with the schedule's parameters
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "WAITING_FOR_APPROVAL"
                    .equals(
                        api.get("/api/runs/" + ApiClient.enc(id)).body().path("status").asText()));
    JsonNode run = api.get("/api/runs/" + ApiClient.enc(id)).body();
    assertThat(run.get("runbook").asText()).isEqualTo("probe");
    assertThat(run.toString()).contains("go on, scheduler");
    assertThat(api.get("/api/runs").body().findValuesAsText("id")).contains(id);

    // a second trigger while that run waits is refused, naming the run
    ApiClient.Answer again = api.post("/api/schedules/probe-gate/trigger", null);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.body().get("running").asText()).isEqualTo(id);
    assertThat(again.body().get("error").asText()).contains(id);

    // a fire of the server's own while the run waits is skipped by the overlap policy, and counted
    schedules
        .getHandle(PREFIX + "probe-gate")
        .trigger(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                item(api.get("/api/schedules").body(), "probe-gate").get("skipped").asLong() == 1);
    JsonNode gate = item(api.get("/api/schedules").body(), "probe-gate");
    assertThat(gate.get("last").get("id").asText()).isEqualTo(id);
    assertThat(gate.get("last").get("status").asText()).isEqualTo("RUNNING");
    assertThat(
            APP.getEnvironment()
                .metrics()
                .getGauges()
                .get("lifeboat.schedule.probe-gate.skipped")
                .getValue())
        .isEqualTo(1L);

    CliTest.Outcome listed = CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "schedules");
    assertThat(listed.exit()).isZero();
    assertThat(listed.out())
        .contains(
            "probe-gate  probe  \"@yearly\" UTC",
            "last " + id + " RUNNING",
            "tier1-notebooks  tier1-critical");
    CliTest.Outcome refused =
        CliTest.cliAt(
            "http://127.0.0.1:" + APP.getLocalPort(), "schedule", "trigger", "probe-gate");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("already has a run going: " + id);
    api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", null);

    CliTest.Outcome pausedByCli =
        CliTest.cliAt(
            "http://127.0.0.1:" + APP.getLocalPort(), "schedule", "pause", "editable-daily");
    assertThat(pausedByCli.out()).contains("paused editable-daily");
    assertThat(item(api.get("/api/schedules").body(), "editable-daily").get("paused").asBoolean())
        .isTrue();
    assertThat(
            CliTest.cliAt(
                    "http://127.0.0.1:" + APP.getLocalPort(),
                    "schedule",
                    "resume",
                    "editable-daily")
                .out())
        .contains("resumed editable-daily, next ");

    for (String verb : List.of("pause", "resume", "trigger")) {
      ApiClient.Answer unknown = api.post("/api/schedules/nope/" + verb, null);
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.contentType()).startsWith("application/json");
      assertThat(unknown.body().get("error").asText()).isEqualTo("no schedule named 'nope'");
    }
    assertThat(
            CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "schedule", "pause", "nope")
                .err())
        .contains("no schedule named 'nope'");
  }

  @Test
  void twoTriggersAtOnceStartOneRunAndTheOtherIsToldItIsRunning() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var a = pool.submit(() -> api.post("/api/schedules/probe-twice/trigger", null));
      var b = pool.submit(() -> api.post("/api/schedules/probe-twice/trigger", null));
      List<ApiClient.Answer> answers = List.of(a.get(), b.get());
      assertThat(answers)
          .extracting(ApiClient.Answer::status)
          .as(answers.get(0).raw() + " / " + answers.get(1).raw())
          .containsExactlyInAnyOrder(202, 409);
      ApiClient.Answer started = answers.stream().filter(x -> x.status() == 202).findFirst().get();
      ApiClient.Answer refused = answers.stream().filter(x -> x.status() == 409).findFirst().get();
      String id = started.body().get("id").asText();
      assertThat(refused.body().get("running").asText()).isEqualTo(id);
      api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", null);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aScheduleWhoseRunbookTurnedInvalidStaysListedAndCanBePausedAndResumed() throws Exception {
    Path file = RUNBOOKS.resolve("editable.yaml");
    String original = Files.readString(file);
    try {
      Files.writeString(file, original + "\n  this is: [not yaml\n");
      assertThat(api.post("/api/runbooks/reload", null).status()).isEqualTo(200);
      // Temporal keeps it, firing as before: Lifeboat shows it with why it cannot update it
      assertThat(ids()).contains(PREFIX + "editable-daily");
      JsonNode kept = item(api.get("/api/schedules").body(), "editable-daily");
      assertThat(kept.get("runbookInvalid").asBoolean()).isTrue();
      assertThat(kept.get("runbook").asText()).isEqualTo("editable");
      assertThat(kept.get("reason").asText()).contains("runbook editable is invalid");
      assertThat(kept.get("paused").asBoolean()).isFalse();
      assertThat(kept.get("next")).isNotEmpty();
      assertThat(
              item(api.get("/api/schedules").body(), "probe-gate")
                  .get("runbookInvalid")
                  .asBoolean())
          .isFalse();
      assertThat(api.get("/api/schedules/editable-daily").body().get("runbookInvalid").asBoolean())
          .isTrue();
      // the page says so in words, with the reason, and offers no Trigger the server refuses
      org.openqa.selenium.WebDriver browser = Chromium.open();
      try {
        browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
        org.openqa.selenium.By mark =
            org.openqa.selenium.By.cssSelector(
                "tr[data-schedule='editable-daily'] [data-runbook-invalid]");
        await()
            .ignoreExceptions()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () ->
                    assertThat(browser.findElement(mark).getText())
                        .startsWith("runbook invalid runbook editable is invalid (")
                        .contains("editable.yaml"));
        org.openqa.selenium.By row =
            org.openqa.selenium.By.cssSelector("tr[data-schedule='editable-daily']");
        assertThat(button(browser, row, "Pause").isDisplayed()).isTrue();
        assertThat(browser.findElement(row).findElements(org.openqa.selenium.By.tagName("button")))
            .extracting(org.openqa.selenium.WebElement::getText)
            .doesNotContain("Trigger");
      } finally {
        browser.quit();
      }

      ApiClient.Answer paused = api.post("/api/schedules/editable-daily/pause", null);
      assertThat(paused.status()).as(paused.raw()).isEqualTo(200);
      assertThat(paused.body().get("paused").asBoolean()).isTrue();
      assertThat(
              schedules
                  .getHandle(PREFIX + "editable-daily")
                  .describe()
                  .getSchedule()
                  .getState()
                  .isPaused())
          .isTrue();
      CliTest.Outcome listed = CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "schedules");
      assertThat(listed.out()).contains("editable-daily  editable", "PAUSED  RUNBOOK INVALID: ");
      ApiClient.Answer resumed = api.post("/api/schedules/editable-daily/resume", null);
      assertThat(resumed.status()).as(resumed.raw()).isEqualTo(200);
      assertThat(resumed.body().get("paused").asBoolean()).isFalse();

      ApiClient.Answer trigger = api.post("/api/schedules/editable-daily/trigger", null);
      assertThat(trigger.status()).as(trigger.raw()).isEqualTo(409);
      assertThat(trigger.body().get("error").asText()).contains("runbook editable is invalid");
      assertThat(api.post("/api/schedules/nope/pause", null).status()).isEqualTo(404);
    } finally {
      Files.writeString(file, original);
      api.post("/api/runbooks/reload", null);
    }
    assertThat(
            item(api.get("/api/schedules").body(), "editable-daily")
                .get("runbookInvalid")
                .asBoolean())
        .isFalse();
  }

  @Test
  void thePagePausesResumesAndTriggers() {
    org.openqa.selenium.WebDriver browser = Chromium.open();
    try {
      browser.get("http://127.0.0.1:" + APP.getLocalPort() + "/");
      org.openqa.selenium.By row =
          org.openqa.selenium.By.cssSelector("tr[data-schedule='editable-daily']");
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !browser.findElements(row).isEmpty());
      assertThat(browser.findElement(org.openqa.selenium.By.id("schedules-off")).isDisplayed())
          .isFalse();
      // the page re-renders its tables on each refresh: an element found a moment ago may be gone
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(browser.findElement(row).getText())
                      .contains("editable", "0 6 * * * UTC"));
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> button(browser, row, "Pause").click());
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .until(() -> browser.findElement(row).getText().contains("paused"));
      assertThat(
              schedules
                  .getHandle(PREFIX + "editable-daily")
                  .describe()
                  .getSchedule()
                  .getState()
                  .isPaused())
          .isTrue();
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> button(browser, row, "Resume").click());
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  !schedules
                      .getHandle(PREFIX + "editable-daily")
                      .describe()
                      .getSchedule()
                      .getState()
                      .isPaused());
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> button(browser, row, "Trigger").click());
      // the triggered run opens in the run panel, waiting at its approval step
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  browser
                      .findElement(org.openqa.selenium.By.id("run-id"))
                      .getText()
                      .startsWith("editable@sched-editable-daily-"));
      String id = browser.findElement(org.openqa.selenium.By.id("run-id")).getText();
      await()
          .ignoreExceptions()
          .atMost(Duration.ofSeconds(30))
          .until(() -> browser.findElement(row).getText().contains(id));
      api.post("/api/runs/" + ApiClient.enc(id) + "/cancel", null);
    } finally {
      browser.quit();
    }
  }

  private static org.openqa.selenium.WebElement button(
      org.openqa.selenium.WebDriver browser, org.openqa.selenium.By row, String text) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                browser
                    .findElement(row)
                    .findElements(org.openqa.selenium.By.tagName("button"))
                    .stream()
                    .anyMatch(b -> b.getText().equals(text)));
    return browser.findElement(row).findElements(org.openqa.selenium.By.tagName("button")).stream()
        .filter(b -> b.getText().equals(text))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void reloadUpdatesAnEditedScheduleAndDeletesARemovedOne() throws Exception {
    Path file = RUNBOOKS.resolve("editable.yaml");
    String original = Files.readString(file);
    try {
      Files.writeString(
          file, original.replace("\"0 6 * * *\"", "\"15 7 * * *\"\n    timezone: Asia/Tokyo"));
      assertThat(api.post("/api/runbooks/reload", null).status()).isEqualTo(200);
      ScheduleDescription d = schedules.getHandle(PREFIX + "editable-daily").describe();
      assertThat(d.getSchedule().getSpec().getTimeZoneName()).isEqualTo("Asia/Tokyo");
      for (Instant t : d.getInfo().getNextActionTimes()) {
        assertThat(t.atZone(ZoneId.of("Asia/Tokyo")).toLocalTime())
            .isEqualTo(java.time.LocalTime.of(7, 15));
      }

      Files.writeString(file, original.replaceAll("(?s)schedules:.*?steps:", "steps:"));
      api.post("/api/runbooks/reload", null);
      assertThat(api.get("/api/schedules").body().findValuesAsText("name"))
          .doesNotContain("editable-daily")
          .contains("probe-gate");
      assertThat(ids()).doesNotContain(PREFIX + "editable-daily").contains(PREFIX + "probe-gate");
    } finally {
      Files.writeString(file, original);
      api.post("/api/runbooks/reload", null);
    }
    assertThat(ids()).contains(PREFIX + "editable-daily");
  }

  /**
   * A nightly backup that could not read some files completes: its schedule's last run must not
   * read as a plain success on the page, in the API or in {@code lifeboat schedules}.
   */
  @Test
  void aScheduledRunThatCompletedWithWarningsShowsThemAsItsLastRun() throws Exception {
    Files.createDirectories(GAPS);
    Files.writeString(GAPS.resolve("a.txt"), "a\n");
    dev.lifeboat.activities.archive.Fixtures.tooDeepToRead(GAPS);
    try {
      ApiClient.Answer started = api.post("/api/schedules/probe-gaps/trigger", null);
      assertThat(started.status()).as(started.body().toString()).isLessThan(300);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                JsonNode last = item(api.get("/api/schedules").body(), "probe-gaps").get("last");
                return last.isObject() && last.get("status").asText().equals("COMPLETED");
              });
      JsonNode last = item(api.get("/api/schedules").body(), "probe-gaps").get("last");
      assertThat(last.get("warnings")).as(last.toString()).hasSize(1);
      assertThat(last.get("warnings").get(0).get("step").asText()).isEqualTo("archive");
      assertThat(last.get("warnings").get(0).get("text").asText())
          .startsWith("1 entry could not be read and is NOT in ");
      CliTest.Outcome listed = CliTest.cliAt("http://127.0.0.1:" + APP.getLocalPort(), "schedules");
      assertThat(listed.out())
          .contains("last " + last.get("id").asText() + " COMPLETED with warnings");
    } finally {
      dev.lifeboat.activities.archive.Fixtures.removeTooDeep(GAPS);
    }
  }

  @Test
  void aRestartOnTheSameServerDoesNotDuplicateSchedules() throws Exception {
    Set<String> before = Set.copyOf(ids());
    DropwizardTestSupport<LifeboatConfiguration> second =
        new DropwizardTestSupport<>(
            LifeboatApplication.class, LifeboatApplication.BUILT_IN_CONFIG, config());
    second.before();
    try {
      assertThat(
              new ApiClient(second.getLocalPort())
                  .get("/api/schedules")
                  .body()
                  .findValuesAsText("name"))
          .containsAll(SHIPPED);
    } finally {
      second.after();
    }
    List<String> after = ids();
    assertThat(after).doesNotHaveDuplicates();
    assertThat(Set.copyOf(after)).isEqualTo(before);
    assertThat(after).hasSize(SHIPPED.size() + 5);
  }

  /**
   * Our schedule ids as the server lists them (the listing is eventually consistent: ask until it
   * settles).
   */
  static List<String> ids() {
    List<String>[] seen = new List[1];
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              List<String> now =
                  schedules
                      .listSchedules()
                      .map(ScheduleListDescription::getScheduleId)
                      .filter(id -> id.startsWith(PREFIX))
                      .sorted()
                      .toList();
              boolean same = now.equals(seen[0]);
              seen[0] = now;
              return same;
            });
    return seen[0];
  }

  static JsonNode item(JsonNode list, String name) {
    for (JsonNode n : list) {
      if (n.get("name").asText().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no schedule " + name + " in " + list);
  }

  static List<Instant> instants(JsonNode times) {
    List<Instant> out = new ArrayList<>();
    times.forEach(t -> out.add(OffsetDateTime.parse(t.asText()).toInstant()));
    return out;
  }

  /** The shipped runbooks plus the given ones, in a folder the test may edit. */
  static Path shippedRunbooksPlus(String... yamls) {
    Path dir = TestFolders.runbooks("sched", yamls);
    try (Stream<Path> shipped = Files.list(Path.of("..", "runbooks"))) {
      for (Path p : shipped.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        Files.copy(p, dir.resolve(p.getFileName()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
