package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * In real time: a schedule firing every minute on a copy of local-backup leaves a verified archive.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class ScheduledBackupRealTimeTest {
  static final String ADDRESS = System.getenv("LIFEBOAT_TEST_TEMPORAL_ADDRESS");
  static final String TAG = UUID.randomUUID().toString().substring(0, 8);
  static final String PREFIX = "t-" + TAG + "-";
  static final String NAME = "minutely-" + TAG;
  static final Path SOURCE = sourceTree();
  static final Path REPOSITORY = TestFolders.temp("sched-rt-repo");

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", minutelyRunbook().toString()),
          ConfigOverride.config("repository", REPOSITORY.toString()),
          ConfigOverride.config("temporal.address", ADDRESS == null ? "" : ADDRESS),
          ConfigOverride.config("temporal.schedulePrefix", PREFIX));

  static WorkflowServiceStubs service;

  @BeforeAll
  static void server() {
    Assumptions.assumeTrue(
        ADDRESS != null, "needs a Temporal dev server: LIFEBOAT_TEST_TEMPORAL_ADDRESS");
    service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(ADDRESS).build());
  }

  @AfterAll
  static void cleanUp() {
    if (service != null) {
      ScheduleClient schedules =
          ScheduleClient.newInstance(
              service, ScheduleClientOptions.newBuilder().setNamespace("default").build());
      schedules
          .listSchedules()
          .map(ScheduleListDescription::getScheduleId)
          .filter(id -> id.startsWith(PREFIX))
          .forEach(id -> schedules.getHandle(id).delete());
      service.shutdown();
    }
  }

  @Test
  void aMinutelyScheduleProducesAnArchive() {
    ApiClient api = new ApiClient(APP.getLocalPort());
    JsonNode[] last = new JsonNode[1];
    // the next minute starts within 60 s; the run then takes seconds, more on a loaded machine
    await()
        .atMost(Duration.ofSeconds(100))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              JsonNode item = SchedulesApiTest.item(api.get("/api/schedules").body(), NAME);
              last[0] = item.get("last");
              return last[0] != null
                  && last[0].isObject()
                  && "COMPLETED".equals(last[0].path("status").asText());
            });
    String id = last[0].get("id").asText();
    assertThat(id).startsWith("sched-local-backup@sched-" + NAME + "-");
    JsonNode backups = api.get("/api/backups?set=sched&source=docs").body();
    assertThat(backups.size()).isGreaterThanOrEqualTo(1);
    assertThat(backups.get(0).get("files").asInt()).isEqualTo(2);
    assertThat(api.get("/api/runs/" + ApiClient.enc(id)).body().get("status").asText())
        .isEqualTo("COMPLETED");
  }

  static Path sourceTree() {
    Path dir = TestFolders.temp("sched-rt-src");
    try {
      Files.writeString(dir.resolve("a.txt"), "alpha\n");
      Files.createDirectories(dir.resolve("sub"));
      Files.writeString(dir.resolve("sub/b.txt"), "beta\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** The shipped local-backup under another name, with a schedule firing every minute. */
  static Path minutelyRunbook() {
    try {
      String shipped = Files.readString(Path.of("..", "runbooks", "local-backup.yaml"));
      String copy =
          shipped
              .replaceFirst("name: local-backup", "name: sched-local-backup")
              .replaceFirst(
                  "\nparams:\n",
                  "\nschedules:\n  - name: "
                      + NAME
                      + "\n    cron: \"* * * * *\"\n"
                      + "    params: {path: \""
                      + SOURCE
                      + "\", set: sched, source: docs}\nparams:\n");
      return TestFolders.runbooks("sched-rt", copy);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
