package dev.lifeboat.activities.command;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Redactor;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds programs on a search path and runs them as child processes for the process-running actions
 * (command, ansible, rclone, git, helm): output lines stream into the step log as they come, each
 * child runs in its own process group (see {@link ProgramGroups}) that a cancel, a timeout or a
 * server stop ends as a whole, and known secrets are masked in every line before anyone sees it.
 *
 * <p>A child never inherits this JVM's environment: it gets {@link #PASSED_ON} from it (or exactly
 * the environment a test gives) plus the invocation's own variables, so nothing of Lifeboat's own
 * configuration ({@code LIFEBOAT_*}: offsite password, API tokens) reaches it. Plain {@link
 * ProcessBuilder} rather than zt-exec: that library can only add to the inherited environment, and
 * its start failure message prints the whole environment.
 */
public final class ProgramRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ProgramRunner.class);

  /** How many trailing output lines a result keeps for error messages and step outputs. */
  public static final int TAIL_LINES = 20;

  /** What a child gets from this process's environment; everything else stays behind. */
  public static final List<String> PASSED_ON =
      List.of(
          "PATH",
          "HOME",
          "LANG",
          "LC_ALL",
          "LC_CTYPE",
          "TMPDIR",
          "TZ",
          "USER",
          "LOGNAME",
          "KUBECONFIG",
          "KUBERNETES_SERVICE_HOST",
          "KUBERNETES_SERVICE_PORT",
          "SSH_AUTH_SOCK");

  private static final long POLL_MILLIS = 200;
  private static final List<String> SETSID = List.of("/usr/bin/setsid", "/bin/setsid");

  private final Map<String, String> environment;
  private final Consumer<List<String>> launchListener;
  private final ProgramGroups groups;

  private ProgramRunner(
      Map<String, String> environment,
      Consumer<List<String>> launchListener,
      ProgramGroups groups) {
    this.environment = Map.copyOf(environment);
    this.launchListener = launchListener;
    this.groups = groups;
  }

  /** Runs programs with {@link #PASSED_ON} taken from this process's environment. */
  public static ProgramRunner fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Runs programs with {@link #PASSED_ON} taken from {@code processEnvironment}, the rest dropped.
   */
  public static ProgramRunner fromEnvironment(Map<String, String> processEnvironment) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : PASSED_ON) {
      if (processEnvironment.get(name) != null) {
        env.put(name, processEnvironment.get(name));
      }
    }
    env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
    return new ProgramRunner(env, argv -> {}, ProgramGroups.unrecorded());
  }

  /** Runs programs with exactly this environment (its {@code PATH} is where programs are found). */
  public static ProgramRunner withEnvironment(Map<String, String> environment) {
    return new ProgramRunner(environment, argv -> {}, ProgramGroups.unrecorded());
  }

  /** A copy with some variables added or replaced, e.g. {@code PATH} or {@code ANSIBLE_HOME}. */
  public ProgramRunner withVariables(Map<String, String> variables) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.putAll(variables);
    return new ProgramRunner(env, launchListener, groups);
  }

  /** A copy that reports the full argv of every child it starts (for audits and tests). */
  public ProgramRunner withLaunchListener(Consumer<List<String>> listener) {
    return new ProgramRunner(environment, listener, groups);
  }

  /** A copy whose children are recorded (pid files) and ended through {@code groups}. */
  public ProgramRunner withGroups(ProgramGroups groups) {
    return new ProgramRunner(environment, launchListener, groups);
  }

  public Map<String, String> environment() {
    return environment;
  }

  /**
   * Where {@code program} is: itself if it contains a slash, else the first executable match on
   * PATH.
   */
  public Optional<Path> locate(String program) {
    if (program.contains("/")) {
      Path p = Path.of(program);
      return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = environment.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * Runs the invocation to the end and returns its exit code and output; a non-zero exit is not an
   * error here, callers decide. Throws {@link ActionException#check} when the program does not
   * exist, cannot start or did not finish in time, and {@link
   * java.util.concurrent.CancellationException} / {@link InterruptedException} when the run was
   * cancelled (the child's whole group is ended first).
   */
  public ProgramResult run(Invocation invocation, ActionContext context)
      throws IOException, InterruptedException {
    List<String> argv = invocation.argv();
    String program = argv.get(0);
    Path executable =
        locate(program)
            .orElseThrow(
                () ->
                    ActionException.check(
                        invocation.notFoundMessage() != null
                            ? invocation.notFoundMessage()
                            : "program '"
                                + program
                                + "' was not found"
                                + (program.contains("/")
                                    ? ""
                                    : " on PATH (" + environment.getOrDefault("PATH", "") + ")")));
    List<String> command = new ArrayList<>(argv);
    command.set(0, executable.toString());
    launchListener.accept(List.copyOf(command));

    // setsid makes the child a session and group leader (it is not one after fork, so setsid execs
    // in
    // place and pid == pgid): ending the group then reaches everything the child started
    List<String> full = new ArrayList<>();
    setsid().ifPresent(s -> full.add(s.toString()));
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.environment().putAll(invocation.environment());
    // set last, so no invocation can give another: the next start finds a program a killed server
    // left running by it, even if its pid file was never written
    builder.environment().put(ProgramGroups.OWNER_VARIABLE, groups.ownerMark());
    if (invocation.workdir() != null) {
      builder.directory(invocation.workdir().toFile());
    }

    List<String> secrets = invocation.secrets();
    Deque<String> tail = new ArrayDeque<>();
    long[] lines = {0};
    Consumer<String> onLine =
        raw -> {
          String line = Redactor.redact(raw, secrets);
          synchronized (tail) {
            lines[0]++;
            tail.addLast(line);
            if (tail.size() > TAIL_LINES) {
              tail.removeFirst();
            }
          }
          if (invocation.logOutput()) {
            context.log(line);
          }
          invocation.lineListener().accept(line);
        };

    long started = System.nanoTime();
    long deadline = started + invocation.timeout().toNanos();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      // only the program and the OS error: the JDK's message names neither the environment nor the
      // argv,
      // but its cause is the bare "error=N, ..." text
      String why =
          e.getCause() != null && e.getCause().getMessage() != null
              ? e.getCause().getMessage()
              : e.getMessage();
      throw ActionException.check(
          "could not start '" + program + "': " + Redactor.redact(String.valueOf(why), secrets));
    }
    ProgramGroups.ProgramGroup group = groups.register(process, program);
    Thread reader = new Thread(() -> readLines(process, onLine), "output-" + program);
    reader.setDaemon(true);
    reader.start();
    feed(process, invocation.stdin());

    boolean done = false;
    try {
      while (!done) {
        context.throwIfCancelled();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          group.end();
          throw ActionException.check(
              "'"
                  + program
                  + "' did not finish within "
                  + ProgramResult.human(invocation.timeout())
                  + " and was killed"
                  + tailSuffix(snapshot(tail)));
        }
        done =
            process.waitFor(
                Math.min(left, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)), TimeUnit.NANOSECONDS);
      }
    } catch (RuntimeException | InterruptedException e) {
      group.end();
      throw e;
    } finally {
      if (!process.isAlive()) {
        awaitExit(process);
      } else {
        process.destroyForcibly();
        awaitExit(process);
      }
      group.finished();
    }
    // the group is gone, so nothing holds the output pipe open any more
    reader.join(TimeUnit.SECONDS.toMillis(10));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    List<String> tailLines = snapshot(tail);
    long count;
    synchronized (tail) {
      count = lines[0];
    }
    return new ProgramResult(program, process.exitValue(), count, tailLines, took);
  }

  /** How much of a command line a step log shows. */
  static final int SHOWN_COMMAND = 2000;

  /** {@code $ argv...} for the step log: secrets masked, a huge argv cut. */
  public static String commandLine(List<String> argv) {
    String line = Redactor.redact("$ " + String.join(" ", argv));
    return line.length() <= SHOWN_COMMAND
        ? line
        : line.substring(0, SHOWN_COMMAND) + "... (" + line.length() + " characters)";
  }

  private static Optional<Path> setsid() {
    for (String candidate : SETSID) {
      Path p = Path.of(candidate);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    LOG.warn(
        "setsid (util-linux) was not found: child processes run in Lifeboat's own process group");
    return Optional.empty();
  }

  private static void readLines(Process process, Consumer<String> onLine) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        onLine.accept(line);
      }
    } catch (IOException e) {
      // the pipe closed under us: the process was ended
    }
  }

  private static void feed(Process process, byte[] input) {
    Thread writer =
        new Thread(
            () -> {
              try (OutputStream out = process.getOutputStream()) {
                out.write(input);
              } catch (IOException e) {
                // the child closed its stdin or ended: it did not want the rest
              }
            },
            "input-" + process.pid());
    writer.setDaemon(true);
    writer.start();
  }

  /** Waits for (reaps) the direct child, keeping an interrupt for the caller. */
  private static void awaitExit(Process process) {
    boolean interrupted = Thread.interrupted();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static List<String> snapshot(Deque<String> tail) {
    synchronized (tail) {
      return List.copyOf(tail);
    }
  }

  static String tailSuffix(List<String> tail) {
    return tail.isEmpty() ? "" : "; last output:\n" + String.join("\n", tail);
  }
}
