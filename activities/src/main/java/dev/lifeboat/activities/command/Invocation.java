package dev.lifeboat.activities.command;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One child process to run: the argv as given (never passed through a shell), where, with which
 * extra environment, for how long at most, what to feed its stdin, and which strings must never
 * reach a log.
 *
 * @param notFoundMessage what to tell the user when the program is not installed, or null for a
 *     generic message
 */
public record Invocation(
    List<String> argv,
    Path workdir,
    Map<String, String> environment,
    Duration timeout,
    byte[] stdin,
    List<String> secrets,
    boolean logOutput,
    Consumer<String> lineListener,
    String notFoundMessage) {

  public Invocation {
    if (argv == null || argv.isEmpty() || argv.get(0) == null || argv.get(0).isBlank()) {
      throw new IllegalArgumentException("argv needs at least the program");
    }
    argv = List.copyOf(argv);
    environment = environment == null ? Map.of() : Map.copyOf(environment);
    timeout = timeout == null ? Duration.ofMinutes(30) : timeout;
    stdin = stdin == null ? new byte[0] : stdin;
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    lineListener = lineListener == null ? line -> {} : lineListener;
  }

  public static Invocation of(List<String> argv, Duration timeout) {
    return new Invocation(argv, null, null, timeout, null, null, true, null, null);
  }

  public Invocation inDirectory(Path dir) {
    return new Invocation(
        argv, dir, environment, timeout, stdin, secrets, logOutput, lineListener, notFoundMessage);
  }

  public Invocation withEnvironment(Map<String, String> env) {
    return new Invocation(
        argv, workdir, env, timeout, stdin, secrets, logOutput, lineListener, notFoundMessage);
  }

  public Invocation withStdin(byte[] input) {
    return new Invocation(
        argv,
        workdir,
        environment,
        timeout,
        input,
        secrets,
        logOutput,
        lineListener,
        notFoundMessage);
  }

  public Invocation masking(List<String> values) {
    return new Invocation(
        argv,
        workdir,
        environment,
        timeout,
        stdin,
        values,
        logOutput,
        lineListener,
        notFoundMessage);
  }

  /**
   * Output lines go only to the listener, not to the step log (e.g. output that is itself a
   * secret).
   */
  public Invocation quiet() {
    return new Invocation(
        argv, workdir, environment, timeout, stdin, secrets, false, lineListener, notFoundMessage);
  }

  public Invocation onLine(Consumer<String> listener) {
    return new Invocation(
        argv, workdir, environment, timeout, stdin, secrets, logOutput, listener, notFoundMessage);
  }

  public Invocation ifNotFound(String message) {
    return new Invocation(
        argv, workdir, environment, timeout, stdin, secrets, logOutput, lineListener, message);
  }

  @Override
  public String toString() {
    return "Invocation" + argv;
  }
}
