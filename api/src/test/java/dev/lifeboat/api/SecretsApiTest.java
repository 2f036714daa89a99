package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * A configured offsite password, forced through failing runs (a program printing it, a program that
 * cannot start, rclone refusing a bad remote): it is in none of the run JSON, the application log
 * at TRACE and the Temporal history.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class SecretsApiTest {
  static final String PASSWORD = "offsite-password-for-the-api-9e1b";
  static final Path WORK = TestFolders.temp("secrets");
  static final Path RUNBOOKS = runbooks();
  static final int TEMPORAL_PORT = freePort();

  static final DropwizardAppExtension<LifeboatConfiguration> APP =
      new DropwizardAppExtension<>(
          LifeboatApplication.class,
          LifeboatApplication.BUILT_IN_CONFIG,
          ConfigOverride.config("server.connector.port", "0"),
          ConfigOverride.config("runbooks", RUNBOOKS.toString()),
          ConfigOverride.config("repository", WORK.resolve("repository").toString()),
          ConfigOverride.config("temporal.embeddedPort", Integer.toString(TEMPORAL_PORT)),
          // a backend rclone does not know: every offsite call fails
          ConfigOverride.config("offsite.type", "nosuchbackend"),
          ConfigOverride.config("offsite.remotePath", "bucket/lifeboat"),
          ConfigOverride.config(
              "offsite.passwordFile", privateFile(WORK.resolve("password"), PASSWORD).toString()));

  ApiClient api;
  final ListAppender<ILoggingEvent> log = new ListAppender<>();
  Logger root;
  Level rootLevel;

  static Path runbooks() {
    try {
      // an archive, so the sync gets as far as rclone (an empty repository is refused before)
      Path notes = Files.createDirectories(WORK.resolve("notes"));
      Files.writeString(notes.resolve("a.txt"), "x");
      new dev.lifeboat.activities.archive.Repository(WORK.resolve("repository"))
          .writeFromDirectory(
              "local", "notes", notes, java.util.List.of(), java.util.List.of(), null);
      Path dir = Files.createDirectories(WORK.resolve("runbooks"));
      Files.writeString(
          dir.resolve("leak.yaml"),
          """
          name: leak
          params:
            - name: value
          steps:
            - id: print
              action: command
              with:
                argv: [sh, -c, 'echo "the value is $0"; exit 3', "${params.value}"]
          """);
      Files.writeString(
          dir.resolve("missing.yaml"),
          """
          name: missing
          params:
            - name: value
          steps:
            - id: start
              action: command
              with:
                argv: [/no/such/program, "${params.value}"]
          """);
      Files.writeString(
          dir.resolve("offsite.yaml"),
          """
          name: offsite
          steps:
            - id: sync
              action: sync-offsite
          """);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path privateFile(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeEach
  void setUp() {
    api = new ApiClient(APP.getLocalPort());
    root =
        ((LoggerContext) LoggerFactory.getILoggerFactory())
            .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    // events arrive from worker threads while the test reads them
    log.list = new java.util.concurrent.CopyOnWriteArrayList<>();
    log.start();
    root.addAppender(log);
    root.setLevel(Level.TRACE);
  }

  @AfterEach
  void tearDown() {
    root.setLevel(rootLevel);
    root.detachAppender(log);
  }

  @Test
  void theOffsitePasswordAppearsNowhere() throws Exception {
    JsonNode leak = awaitEnd(start("leak", "{\"params\": {\"value\": \"" + PASSWORD + "\"}}"));
    JsonNode missing =
        awaitEnd(start("missing", "{\"params\": {\"value\": \"" + PASSWORD + "\"}}"));
    JsonNode offsite = awaitEnd(start("offsite", "{}"));
    // a direct log line naming it, as a library at TRACE might
    LoggerFactory.getLogger("some.library")
        .trace(
            "connecting with password={}",
            PASSWORD,
            new IllegalStateException("bad password " + PASSWORD));

    for (JsonNode run : new JsonNode[] {leak, missing, offsite}) {
      assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("FAILED");
      assertThat(run.toString()).doesNotContain(PASSWORD);
    }
    assertThat(leak.toString()).contains("the value is ***");
    assertThat(missing.toString()).contains("was not found");
    assertThat(offsite.toString()).contains("nosuchbackend");

    StringBuilder logged = new StringBuilder();
    for (ILoggingEvent e : log.list) {
      logged.append(e.getFormattedMessage()).append('\n');
      if (e.getThrowableProxy() != null) {
        logged.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
      }
    }
    assertThat(logged).contains("connecting with password=***").contains("bad password ***");
    assertThat(logged.toString()).doesNotContain(PASSWORD);

    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + TEMPORAL_PORT)
                .build());
    try {
      WorkflowClient client = WorkflowClient.newInstance(service);
      for (JsonNode run : new JsonNode[] {leak, missing, offsite}) {
        String history = client.fetchHistory(run.get("id").asText()).toJson(false);
        assertThat(history).contains("\"eventType\"").doesNotContain(PASSWORD);
      }
    } finally {
      service.shutdownNow();
    }
  }

  private String start(String runbook, String body) {
    ApiClient.Answer a = api.post("/api/runbooks/" + runbook + "/runs", body);
    assertThat(a.status()).as(a.raw()).isEqualTo(202);
    return a.body().get("id").asText();
  }

  private JsonNode awaitEnd(String id) {
    await()
        .atMost(Duration.ofMinutes(2))
        .until(
            () -> {
              String s = api.get("/api/runs/" + ApiClient.enc(id)).body().get("status").asText();
              return s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELED");
            });
    return api.get("/api/runs/" + ApiClient.enc(id)).body();
  }
}
