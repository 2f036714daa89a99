package dev.lifeboat.activities.command;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code command} action: runs one program with an argv list, exactly as written (no shell is
 * put in between, so parameters can never turn into shell syntax). A runbook that wants a shell
 * says so itself: {@code argv: [sh, -c, "..."]}.
 */
public final class RunCommand implements Action<RunCommand.Args> {
  private final ProgramRunner runner;

  public RunCommand(ProgramRunner runner) {
    this.runner = runner;
  }

  /** Arguments of {@code command}. */
  public record Args(
      @Arg(
              description =
                  "program and its arguments, one list item each; not passed through a shell")
          List<String> argv,
      @Arg(required = false, description = "working directory (default: the worker's)")
          String workdir,
      @Arg(required = false, description = "extra environment variables") Map<String, String> env,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "kill the program after this long (default 30m)")
          String timeout,
      @Arg(required = false, description = "exit codes that count as success (default [0])")
          List<Integer> okExitCodes) {

    public Args {
      env = env == null ? Map.of() : Map.copyOf(env);
      timeout = timeout == null || timeout.isBlank() ? "30m" : timeout;
      okExitCodes =
          okExitCodes == null || okExitCodes.isEmpty() ? List.of(0) : List.copyOf(okExitCodes);
    }
  }

  /**
   * What the step outputs: {@code ${steps.id.exitCode}}, {@code lines}, {@code tail}, {@code
   * duration}.
   */
  public record Result(int exitCode, long lines, String tail, String duration) {}

  @Override
  public String name() {
    return "command";
  }

  @Override
  public String description() {
    return "Runs a program with an argument list (no shell), streaming its output into the step log";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    if (args.argv() == null
        || args.argv().isEmpty()
        || args.argv().get(0) == null
        || args.argv().get(0).isBlank()) {
      throw ActionException.invalid("command: 'argv' needs at least the program to run");
    }
    if (args.argv().stream().anyMatch(a -> a == null)) {
      throw ActionException.invalid("command: 'argv' has an empty (null) item");
    }
    Duration timeout;
    try {
      timeout = Durations.parse(args.timeout());
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("command: timeout " + e.getMessage());
    }
    Path workdir = null;
    if (args.workdir() != null && !args.workdir().isBlank()) {
      workdir = Path.of(args.workdir());
      if (!Files.isDirectory(workdir)) {
        throw ActionException.invalid("command: workdir '" + workdir + "' is not a directory");
      }
    }
    String program = args.argv().get(0);
    context.message("running " + program);
    context.log(ProgramRunner.commandLine(args.argv()));
    ProgramResult result =
        runner.run(
            Invocation.of(args.argv(), timeout)
                .inDirectory(workdir)
                .withEnvironment(args.env())
                .ifNotFound(
                    "command: program '"
                        + program
                        + "' was not found"
                        + (program.contains("/")
                            ? " (or is not executable)"
                            : " on the worker's PATH")),
            context);
    if (!args.okExitCodes().contains(result.exitCode())) {
      throw ActionException.check(
          "command: '"
              + program
              + "' exited with code "
              + result.exitCode()
              + (args.okExitCodes().equals(List.of(0))
                  ? ""
                  : " (expected one of " + args.okExitCodes() + ")")
              + ProgramRunner.tailSuffix(result.tail()));
    }
    context.message(
        program
            + " finished (exit "
            + result.exitCode()
            + ") in "
            + ProgramResult.human(result.duration()));
    return new Result(
        result.exitCode(),
        result.lines(),
        result.tailText(),
        ProgramResult.human(result.duration()));
  }
}
