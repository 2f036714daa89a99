package dev.lifeboat.activities.git;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.command.Invocation;
import dev.lifeboat.activities.command.ProgramResult;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.runbook.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code git-clone} action: clones one repository (e.g. the platform code with its playbooks).
 * The url and the directory are data, never options or a transport that runs commands: both come
 * after {@code --}, a leading {@code -} is refused, and git may use only https, ssh, git and file.
 */
public final class CloneRepository implements Action<CloneRepository.Args> {
  /**
   * Transports git may use; {@code ext::} (which runs a command) and the rest are refused by git
   * itself.
   */
  static final String ALLOWED_PROTOCOLS = "https:ssh:git:file";

  private final ProgramRunner runner;

  public CloneRepository(ProgramRunner runner) {
    this.runner = runner;
  }

  /** Arguments of {@code git-clone}. */
  public record Args(
      @Arg(description = "repository url (https, ssh, git or file)") String url,
      @Arg(description = "directory to clone into (must not exist or be empty)") String dir,
      @Arg(required = false, description = "kill git after this long (default 30m)")
          String timeout) {

    public Args {
      timeout = timeout == null || timeout.isBlank() ? "30m" : timeout;
    }
  }

  /** Step output. */
  public record Result(String url, String dir, String duration) {}

  @Override
  public String name() {
    return "git-clone";
  }

  @Override
  public String description() {
    return "Clones a git repository (url and directory are never read as options)";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    String url = value("url", args.url());
    String dir = value("dir", args.dir());
    Duration timeout;
    try {
      timeout = Durations.parse(args.timeout());
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("git-clone: timeout " + e.getMessage());
    }
    List<String> argv = List.of("git", "-c", "protocol.ext.allow=never", "clone", "--", url, dir);
    context.message("cloning " + url);
    context.log(ProgramRunner.commandLine(argv));
    ProgramResult result =
        runner.run(
            Invocation.of(argv, timeout)
                .withEnvironment(
                    Map.of("GIT_ALLOW_PROTOCOL", ALLOWED_PROTOCOLS, "GIT_TERMINAL_PROMPT", "0"))
                .ifNotFound(
                    "git-clone: git was not found on the worker's PATH (Debian/Ubuntu: apt-get install git)"),
            context);
    if (result.exitCode() != 0) {
      throw ActionException.check(
          "git-clone: cloning "
              + url
              + " into "
              + dir
              + " failed (exit "
              + result.exitCode()
              + ")"
              + (result.tail().isEmpty() ? "" : ": " + result.tailText()));
    }
    String took = ProgramResult.human(result.duration());
    context.message("cloned " + url + " in " + took);
    return new Result(url, dir, took);
  }

  private static String value(String name, String value) {
    if (value == null || value.isBlank()) {
      throw ActionException.invalid("git-clone: '" + name + "' is required");
    }
    if (value.startsWith("-")) {
      throw ActionException.invalid(
          "git-clone: '" + name + "' must not start with '-' (got '" + value + "')");
    }
    return value;
  }
}
