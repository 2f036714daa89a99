package dev.lifeboat.activities.command;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;
import org.zeroturnaround.exec.StartedProcess;
import org.zeroturnaround.exec.stream.LogOutputStream;

/**
 * Finds programs on a search path and runs them as child processes for the process-running actions
 * (command, ansible, rclone): output lines stream into the step log as they come, a timeout or a
 * cancelled run kills the child and everything it started, and known secrets are masked in every
 * line before anyone sees it.
 *
 * <p>The environment (and with it the {@code PATH} programs are looked up on) is injectable so tests
 * and odd installations can point it elsewhere.
 */
public final class ProgramRunner {
  /** How many trailing output lines a result keeps for error messages and step outputs. */
  public static final int TAIL_LINES = 20;
  private static final long POLL_MILLIS = 500;

  private final Map<String, String> environment;
  private final Consumer<List<String>> launchListener;

  private ProgramRunner(Map<String, String> environment, Consumer<List<String>> launchListener) {
    this.environment = Map.copyOf(environment);
    this.launchListener = launchListener;
  }

  /** Runs programs with this process's own environment. */
  public static ProgramRunner fromEnvironment() {
    return new ProgramRunner(System.getenv(), argv -> { });
  }

  /** Runs programs with exactly this environment (its {@code PATH} is where programs are found). */
  public static ProgramRunner withEnvironment(Map<String, String> environment) {
    return new ProgramRunner(environment, argv -> { });
  }

  /** A copy with some variables added or replaced, e.g. {@code PATH} or {@code ANSIBLE_HOME}. */
  public ProgramRunner withVariables(Map<String, String> variables) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.putAll(variables);
    return new ProgramRunner(env, launchListener);
  }

  /** A copy that reports the full argv of every child it starts (for audits and tests). */
  public ProgramRunner withLaunchListener(Consumer<List<String>> listener) {
    return new ProgramRunner(environment, listener);
  }

  public Map<String, String> environment() {
    return environment;
  }

  /** Where {@code program} is: itself if it contains a slash, else the first executable match on PATH. */
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
   * error here, callers decide. Throws {@link ActionException#check} when the program does not exist
   * or did not finish in time, and {@link java.util.concurrent.CancellationException} /
   * {@link InterruptedException} when the run was cancelled (the child is killed first).
   */
  public ProgramResult run(Invocation invocation, ActionContext context) throws IOException, InterruptedException {
    List<String> argv = invocation.argv();
    String program = argv.get(0);
    Path executable = locate(program).orElseThrow(() -> ActionException.check(invocation.notFoundMessage() != null
        ? invocation.notFoundMessage()
        : "program '" + program + "' was not found" + (program.contains("/") ? "" : " on PATH (" + environment.getOrDefault("PATH", "") + ")")));
    List<String> command = new ArrayList<>(argv);
    command.set(0, executable.toString());
    launchListener.accept(List.copyOf(command));

    Masker masker = new Masker(invocation.secrets());
    Deque<String> tail = new ArrayDeque<>();
    long[] lines = {0};
    LogOutputStream out = new LogOutputStream() {
      @Override
      protected void processLine(String raw) {
        String line = masker.mask(raw);
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
      }
    };

    Map<String, String> env = new LinkedHashMap<>(environment);
    env.putAll(invocation.environment());
    // The child inherits this JVM's environment; a null value makes zt-exec remove a variable, so the
    // child sees exactly the configured environment.
    for (String inherited : System.getenv().keySet()) {
      env.putIfAbsent(inherited, null);
    }
    ProcessExecutor executor = new ProcessExecutor()
        .command(command)
        .environment(env)
        .redirectOutput(out)
        .redirectErrorStream(true)
        .redirectInput(new ByteArrayInputStream(invocation.stdin()))
        .exitValueAny()
        .destroyOnExit();
    if (invocation.workdir() != null) {
      executor.directory(invocation.workdir().toFile());
    }

    long started = System.nanoTime();
    long deadline = started + invocation.timeout().toNanos();
    StartedProcess process;
    try {
      process = executor.start();
    } catch (IOException e) {
      throw ActionException.check("could not start '" + program + "': " + masker.mask(String.valueOf(e.getMessage())));
    }
    ProcessResult result = null;
    try {
      while (result == null) {
        context.throwIfCancelled();
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          kill(process.getProcess());
          out.close();
          throw ActionException.check("'" + program + "' did not finish within " + ProgramResult.human(invocation.timeout())
              + " and was killed" + tailSuffix(snapshot(tail)));
        }
        try {
          result = process.getFuture().get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          // still running: look at cancellation and the deadline again
        } catch (ExecutionException e) {
          Throwable cause = e.getCause() == null ? e : e.getCause();
          throw new IOException("'" + program + "' failed: " + masker.mask(String.valueOf(cause.getMessage())), cause);
        }
      }
    } catch (RuntimeException | InterruptedException | IOException e) {
      if (process.getProcess().isAlive()) {
        kill(process.getProcess());
      }
      throw e;
    }
    out.close();
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    List<String> tailLines = snapshot(tail);
    long count;
    synchronized (tail) {
      count = lines[0];
    }
    return new ProgramResult(program, result.getExitValue(), count, tailLines, took);
  }

  /** Kills the child and its descendants (ansible-playbook and rclone start their own children). */
  static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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

  /** Replaces each known secret with {@code ***}. */
  static final class Masker {
    private final List<String> secrets;

    Masker(List<String> secrets) {
      this.secrets = secrets.stream().filter(s -> s != null && !s.isEmpty()).toList();
    }

    String mask(String line) {
      String out = line;
      for (String s : secrets) {
        out = out.replace(s, "***");
      }
      return out;
    }
  }
}
