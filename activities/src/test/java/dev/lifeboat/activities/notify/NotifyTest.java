package dev.lifeboat.activities.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import dev.lifeboat.runbook.RunbookProblem;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunbookWorkflow;
import dev.lifeboat.workflows.RunbookWorkflowImpl;
import dev.lifeboat.workflows.StepProgress;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The notify action and a runbook's {@code notify:}: Slack and ntfy bodies reach a local webhook on
 * failure, approval and completion; an unreachable webhook leaves a log line, not a failed run.
 */
class NotifyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Received(String path, JsonNode body) {}

  record NoArgs() {}

  private HttpServer server;
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private TestWorkflowEnvironment env;
  private WorkflowClient client;
  private ActionRegistry registry;

  private final Action<NoArgs> breaks =
      new Action<>() {
        public String name() {
          return "breaks";
        }

        public String description() {
          return "always fails";
        }

        public Class<NoArgs> argumentsType() {
          return NoArgs.class;
        }

        public Object run(NoArgs args, ActionContext ctx) {
          throw dev.lifeboat.activities.action.ActionException.check("the disk is gone");
        }
      };

  @BeforeEach
  void setUp() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          received.add(
              new Received(
                  exchange.getRequestURI().getPath(),
                  JSON.readTree(new String(body, StandardCharsets.UTF_8))));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    registry = new ActionRegistry().register(new Notify(base() + "/default-hook")).register(breaks);
    env = TestWorkflowEnvironment.newInstance();
    Worker worker =
        env.newWorker(
            RunbookWorkflow.TASK_QUEUE,
            dev.lifeboat.activities.kubernetes.RunbookHarness.workerOptions());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    worker.registerActivitiesImplementations(new ActionDispatcher(registry));
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
    server.stop(0);
  }

  private String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private Runbook runbook(String yaml) {
    List<dev.lifeboat.runbook.ActionSignature> sigs =
        new java.util.ArrayList<>(registry.signatures());
    sigs.addAll(dev.lifeboat.runbook.BuiltinActions.signatures());
    return new RunbookLoader(sigs).parse(yaml, "test.yaml");
  }

  private WorkflowStub start(String id, Runbook rb) {
    RunbookWorkflow wf =
        client.newWorkflowStub(
            RunbookWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                .setWorkflowId(id)
                .build());
    WorkflowClient.start(wf::run, new RunRequest(rb, Map.of(), Map.of()));
    return WorkflowStub.fromTyped(wf);
  }

  private Received next() throws InterruptedException {
    Received r = received.poll(30, TimeUnit.SECONDS);
    assertThat(r).as("a notification arrived").isNotNull();
    return r;
  }

  @Test
  void slackBodiesOnApprovalAndCompletion() throws Exception {
    WorkflowStub run =
        start(
            "gate@1",
            runbook(
                """
        name: gate
        notify:
          on: [approval, completion]
          url: %s/slack-hook
          format: slack
        steps:
          - id: ask
            action: approval
            with:
              message: swap the disk, then approve
        """
                    .formatted(base())));
    Received approval = next();
    assertThat(approval.path()).isEqualTo("/slack-hook");
    assertThat(approval.body().fieldNames()).toIterable().containsExactly("text");
    assertThat(approval.body().get("text").asText())
        .contains("gate waits for approval")
        .contains("swap the disk, then approve")
        .contains("gate@1");
    client.newWorkflowStub(RunbookWorkflow.class, "gate@1").approve("ask");
    run.getResult(Map.class);
    Received done = next();
    assertThat(done.body().get("text").asText()).contains("gate completed");
    assertThat(received).isEmpty();
  }

  @Test
  void ntfyBodyOnFailurePostsToTheServerRootWithTheTopic() throws Exception {
    WorkflowStub run =
        start(
            "broken@1",
            runbook(
                """
        name: broken
        notify:
          on: [failure, completion]
          url: %s/lifeboat-alerts
          format: ntfy
        steps:
          - id: boom
            action: breaks
        """
                    .formatted(base())));
    assertThatThrownBy(() -> run.getResult(Map.class))
        .isInstanceOf(io.temporal.client.WorkflowFailedException.class);
    Received failure = next();
    assertThat(failure.path()).isEqualTo("/");
    assertThat(failure.body().get("topic").asText()).isEqualTo("lifeboat-alerts");
    assertThat(failure.body().get("title").asText()).isEqualTo("Lifeboat: broken failed");
    assertThat(failure.body().get("message").asText())
        .contains("the disk is gone")
        .contains("broken@1");
    assertThat(failure.body().get("priority").asInt()).isEqualTo(4);
    assertThat(failure.body().get("tags").get(0).asText()).isEqualTo("rotating_light");
    assertThat(received.poll(1, TimeUnit.SECONDS))
        .as("no completion notice for a failed run")
        .isNull();
  }

  @Test
  void anUnreachableWebhookIsALogLineNotAFailedRun() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    WorkflowStub run =
        start(
            "quiet@1",
            runbook(
                """
        name: quiet
        notify:
          on: [completion]
          url: http://127.0.0.1:%d/nobody
        steps:
          - id: only
            action: notify
            with:
              message: the default hook hears this
        """
                    .formatted(closedPort)));
    Map<?, ?> result = run.getResult(Map.class);
    assertThat(result.get("status")).isEqualTo("COMPLETED");
    Received direct = next();
    assertThat(direct.path())
        .as("a step without url uses LIFEBOAT_NOTIFY_URL")
        .isEqualTo("/default-hook");
    assertThat(direct.body().get("runId").asText()).isEqualTo("quiet@1");
    assertThat(direct.body().get("message").asText()).isEqualTo("the default hook hears this");
    StepProgress only =
        client.newWorkflowStub(RunbookWorkflow.class, "quiet@1").progress().steps().get(0);
    assertThat(only.log())
        .anyMatch(
            l ->
                l.startsWith("notification (completion) not sent: notify: cannot reach 127.0.0.1"));
  }

  @Test
  void genericJsonNamesRunRunbookStatusAndStep() throws Exception {
    Notify notify = new Notify(base() + "/hook");
    Map<String, Object> out =
        ActionDispatcher.invoke(
            notify,
            Map.of(
                "message",
                "restore failed: no space",
                "event",
                "failure",
                "runbook",
                "restore-home",
                "status",
                "FAILED",
                "step",
                "restore"),
            new LocalActionContext("restore"));
    assertThat(out).containsEntry("status", 200);
    JsonNode body = next().body();
    assertThat(body.get("runId").asText()).isEqualTo("local");
    assertThat(body.get("runbook").asText()).isEqualTo("restore-home");
    assertThat(body.get("status").asText()).isEqualTo("FAILED");
    assertThat(body.get("step").asText()).isEqualTo("restore");
    assertThat(body.get("error").asText()).isEqualTo("restore failed: no space");
  }

  @Test
  void theUrlIsNeverAParameter() {
    assertThatThrownBy(
            () ->
                runbook(
                    """
        name: leaky
        params:
          - name: hook
        steps:
          - id: tell
            action: notify
            with:
              url: ${params.hook}
              message: hi
        """))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("never taken from parameters");
    assertThatThrownBy(
            () ->
                runbook(
                    """
        name: leaky
        notify: {on: [failure], url: "${params.hook}"}
        steps:
          - id: tell
            action: notify
            with: {message: hi}
        """))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("literal http");
    assertThatThrownBy(
            () ->
                runbook(
                    """
        name: typo
        notify: {on: [failur]}
        steps:
          - id: tell
            action: notify
            with: {message: hi}
        """))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("notify on 'failur' is not an event");
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new Notify(null), Map.of("message", "x"), new LocalActionContext("s")))
        .hasMessageContaining("set LIFEBOAT_NOTIFY_URL");
  }
}
