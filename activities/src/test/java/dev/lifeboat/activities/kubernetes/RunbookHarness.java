package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.local.BackupAction;
import dev.lifeboat.activities.local.PruneAction;
import dev.lifeboat.activities.local.RestoreAction;
import dev.lifeboat.activities.local.VerifyAction;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import dev.lifeboat.workflows.RunProgress;
import dev.lifeboat.workflows.RunRequest;
import dev.lifeboat.workflows.RunbookWorkflow;
import dev.lifeboat.workflows.RunbookWorkflowImpl;
import dev.lifeboat.workflows.StepProgress;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The shipped runbooks run end to end: the real interpreter in Temporal's test environment, the
 * archive and Kubernetes actions wired as a worker wires them (see the worker's StandardActions), a
 * real repository in a temporary directory, and the mock cluster whose exec runs GNU tar on local
 * directories. Every action call is timed, so a test can tell which runs overlapped.
 */
public final class RunbookHarness implements AutoCloseable {
  static final Path RUNBOOKS = Path.of("..", "runbooks");

  /** One action call: which run, which step, when it started and ended (System.nanoTime). */
  record Call(String runId, String stepKey, long startNanos, long endNanos) {}

  final MockCluster cluster;
  final Repository repository;
  final Map<String, Runbook> library = new TreeMap<>();
  final List<Call> calls = new CopyOnWriteArrayList<>();
  private final TestWorkflowEnvironment env;
  private final AtomicInteger runs = new AtomicInteger();
  private volatile BiPredicate<String, String> slow = (run, step) -> false;
  private volatile long slowMillis;

  RunbookHarness(Path dir, String... runbooks) throws IOException {
    cluster = new MockCluster(Files.createDirectories(dir.resolve("volumes")));
    repository = new Repository(Files.createDirectories(dir.resolve("repository")));
    var clients = cluster.clients();
    PodVolumes volumes = new PodVolumes(clients);
    List<Action<?>> actions = new ArrayList<>();
    actions.add(new BackupAction(repository, volumes));
    actions.add(new VerifyAction(repository, new PodTar(clients)));
    actions.add(new RestoreAction(repository, volumes));
    actions.add(new PruneAction(repository));
    actions.addAll(KubernetesActions.all(clients));
    ActionRegistry registry = new ActionRegistry();
    actions.forEach(a -> registry.register(timed(a)));
    RunbookLoader loader = new RunbookLoader(registry.signatures());
    for (String name : runbooks) {
      LoadedRunbook r = loader.load(RUNBOOKS.resolve(name + ".yaml"));
      assertThat(r).as(name + ": " + r).isInstanceOf(LoadedRunbook.Valid.class);
      library.put(name, r.runbook().orElseThrow());
    }
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(RunbookWorkflow.TASK_QUEUE, workerOptions());
    worker.registerWorkflowImplementationTypes(RunbookWorkflowImpl.class);
    worker.registerActivitiesImplementations(new ActionDispatcher(registry));
    env.start();
  }

  /**
   * Test workers throttle heartbeats as the shipped worker does (less): a cancel reaches a running
   * action within its next heartbeats, not after the SDK's default throttle of 0.8 x the timeout.
   */
  public static io.temporal.worker.WorkerOptions workerOptions() {
    return io.temporal.worker.WorkerOptions.newBuilder()
        .setMaxHeartbeatThrottleInterval(java.time.Duration.ofMillis(200))
        .build();
  }

  /**
   * Makes the matching action calls (run id, step key) take {@code millis} longer, before their
   * real work.
   */
  void slowDown(BiPredicate<String, String> which, long millis) {
    slowMillis = millis;
    slow = which;
  }

  /** Runs a runbook to its end and returns its progress; the outcome is read from there. */
  RunProgress run(String runbook, Map<String, Object> params) {
    RunbookWorkflow stub =
        env.getWorkflowClient()
            .newWorkflowStub(
                RunbookWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(RunbookWorkflow.TASK_QUEUE)
                    .setWorkflowId(runbook + "-" + runs.incrementAndGet())
                    .build());
    try {
      stub.run(new RunRequest(library.get(runbook), params, library));
    } catch (WorkflowException e) {
      // a failed run: its progress says why
    }
    return stub.progress();
  }

  static StepProgress step(RunProgress p, String id) {
    return p.steps().stream()
        .filter(s -> s.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + id + " in " + p.steps()));
  }

  /** Regular files below {@code dir}, '/'-separated relative path to SHA-256. */
  static Map<String, String> tree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .collect(
              Collectors.toMap(
                  p -> dir.relativize(p).toString().replace('\\', '/'),
                  RunbookHarness::sha256,
                  (a, b) -> a,
                  TreeMap::new));
    }
  }

  static String sha256(Path file) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** What GNU tar lists in an archive, names printed as they are. */
  static List<String> gnuTarList(Path archive) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("tar", "--quoting-style=literal", "-tzf", archive.toString());
    pb.environment().put("LC_ALL", "C.UTF-8");
    Process tar = pb.redirectErrorStream(true).start();
    String out =
        new String(tar.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(tar.waitFor()).as("tar tzf " + archive + ": " + out).isZero();
    return out.lines()
        .map(l -> l.startsWith("./") ? l.substring(2) : l)
        .map(l -> l.endsWith("/") ? l.substring(0, l.length() - 1) : l)
        .filter(l -> !l.isEmpty() && !l.equals("."))
        .toList();
  }

  private <A extends Record> Action<A> timed(Action<A> real) {
    return new Action<>() {
      public String name() {
        return real.name();
      }

      public String description() {
        return real.description();
      }

      public Class<A> argumentsType() {
        return real.argumentsType();
      }

      public Object run(A args, ActionContext ctx) throws Exception {
        long start = System.nanoTime();
        try {
          if (slow.test(ctx.runId(), ctx.stepKey())) {
            Thread.sleep(slowMillis);
          }
          return real.run(args, ctx);
        } finally {
          calls.add(new Call(ctx.runId(), ctx.stepKey(), start, System.nanoTime()));
        }
      }
    };
  }

  @Override
  public void close() {
    env.close();
    cluster.close();
  }
}
