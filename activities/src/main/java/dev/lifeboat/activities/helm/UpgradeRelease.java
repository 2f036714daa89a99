package dev.lifeboat.activities.helm;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.command.Invocation;
import dev.lifeboat.activities.command.ProgramResult;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.runbook.Durations;
import dev.lifeboat.runbook.KubernetesNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code helm-upgrade} action: installs or upgrades one Helm release and waits for it. The helm
 * program comes from the worker's configuration ({@code helm}, {@code LIFEBOAT_HELM}), never from a
 * run: a caller cannot choose what runs. Release, chart and namespace are data: they must not start
 * with {@code -} and the positional ones come after {@code --}.
 */
public final class UpgradeRelease implements Action<UpgradeRelease.Args> {
  /** Time helm gets beyond its own {@code --timeout} before the process is killed. */
  private static final Duration MARGIN = Duration.ofMinutes(2);

  private final ProgramRunner runner;
  private final String helm;

  /**
   * @param helm the configured helm program: a name looked up on the worker's PATH or a path
   */
  public UpgradeRelease(ProgramRunner runner, String helm) {
    this.runner = runner;
    this.helm = helm;
  }

  /** Arguments of {@code helm-upgrade}. */
  /** A chart reference: a repository/chart name or an OCI or HTTPS reference; never an option. */
  static final String CHART = "[A-Za-z0-9][A-Za-z0-9._/:@+-]*";

  public record Args(
      @Arg(description = "release name") String release,
      @Arg(
              pattern = CHART,
              description =
                  "chart reference such as jupyterhub/jupyterhub or oci://registry/chart (letters,"
                      + " digits and . _ / : @ + -, starting with a letter or digit)")
          String chart,
      @Arg(
              pattern = KubernetesNames.LABEL,
              description =
                  "namespace of the release (created when missing) (a Kubernetes name: lower-case letters, digits and -, at most 63)")
          String namespace,
      @Arg(
              required = false,
              description = "how long helm waits for the release to be ready (default 15m)")
          String timeout) {

    public Args {
      timeout = timeout == null || timeout.isBlank() ? "15m" : timeout;
    }
  }

  /** Step output. */
  public record Result(String release, String namespace, String duration) {}

  @Override
  public String name() {
    return "helm-upgrade";
  }

  @Override
  public String description() {
    return "Installs or upgrades a Helm release with the configured helm and waits for it";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    String release = value("release", args.release());
    String chart = value("chart", args.chart());
    String namespace = value("namespace", args.namespace());
    Duration timeout;
    try {
      timeout = Durations.parse(args.timeout());
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("helm-upgrade: timeout " + e.getMessage());
    }
    List<String> argv =
        new ArrayList<>(
            List.of(
                helm,
                "upgrade",
                "--install",
                "--namespace",
                namespace,
                "--create-namespace",
                "--wait",
                "--timeout",
                timeout.toSeconds() + "s",
                "--",
                release,
                chart));
    context.message("helm upgrade " + release + " (" + chart + ") in " + namespace);
    context.log(ProgramRunner.commandLine(argv));
    ProgramResult result =
        runner.run(
            Invocation.of(argv, timeout.plus(MARGIN))
                .ifNotFound(
                    "helm-upgrade: the configured helm program '"
                        + helm
                        + "' was not found (set LIFEBOAT_HELM or put"
                        + " helm on the worker's PATH)"),
            context);
    if (result.exitCode() != 0) {
      throw ActionException.check(
          "helm-upgrade: release "
              + release
              + " in "
              + namespace
              + " failed (exit "
              + result.exitCode()
              + ")"
              + (result.tail().isEmpty() ? "" : ": " + result.tailText()));
    }
    String took = ProgramResult.human(result.duration());
    context.message(release + " deployed in " + took);
    return new Result(release, namespace, took);
  }

  private static String value(String name, String value) {
    if (value == null || value.isBlank()) {
      throw ActionException.invalid("helm-upgrade: '" + name + "' is required");
    }
    if (value.startsWith("-")) {
      throw ActionException.invalid(
          "helm-upgrade: '" + name + "' must not start with '-' (got '" + value + "')");
    }
    return value;
  }
}
