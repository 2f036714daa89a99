package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.command.ProgramResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code check-offsite} action: verifies that the encrypted offsite copy matches the local
 * repository ({@code rclone cryptcheck}: every local file is encrypted with the remote file's nonce
 * and the checksums compared). Differences fail the step listing the first few files. Unlike a
 * sync, an unreachable backend fails too: a check that did not look must not pass. It compares what
 * a sync copies ({@link OffsiteFiles}): not the bookkeeping that changes after every sync, nor an
 * archive the repository holds damaged (the offsite copy of it is left as it was).
 */
public final class CheckOffsite implements Action<CheckOffsite.Args> {
  private static final Duration TIMEOUT = Duration.ofHours(12);
  private static final Pattern COMBINED = Pattern.compile("^([=+*!-]) (.+)$");
  private static final int SHOWN = 10;

  private final Rclone rclone;
  private final OffsiteConfig config;

  public CheckOffsite(Rclone rclone, OffsiteConfig config) {
    this.rclone = rclone;
    this.config = config;
  }

  /** Arguments of {@code check-offsite}. */
  public record Args(
      @Arg(required = false, description = "only this set (default: the whole repository)")
          String set,
      @Arg(required = false, description = "local repository path (default: the configured one)")
          String repository) {}

  /**
   * Step output when everything matches; {@code skippedDamaged} names the archives not compared
   * because the repository holds them damaged.
   */
  public record Result(
      String status, String remote, long matching, String duration, List<String> skippedDamaged) {}

  @Override
  public String name() {
    return "check-offsite";
  }

  @Override
  public String description() {
    return "Checks that the encrypted offsite copy matches the local repository (rclone cryptcheck)";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    Path repository = RepositoryPaths.repository(args.repository(), config);
    String set =
        args.set() == null || args.set().isBlank()
            ? null
            : RepositoryPaths.segment(name(), "set", args.set());
    Path local = set == null ? repository : repository.resolve(set);
    if (!Files.isDirectory(local)) {
      throw ActionException.check(
          "check-offsite: " + local + " is not there (backup drive not mounted?)");
    }
    OffsiteFiles.Selection selection = OffsiteFiles.select(repository, set);
    long started = System.nanoTime();
    try (Rclone.Session session = rclone.open(config, context)) {
      Rclone.Reachability reach = session.probe(context);
      if (!reach.reachable()) {
        throw ActionException.check(
            "check-offsite: cannot check the offsite copy: " + reach.reason());
      }
      session.requireOwnPassword(context);
      for (String damaged : selection.skippedDamaged()) {
        context.message("not comparing " + damaged + ": the repository holds it damaged");
      }
      List<String> flags = new ArrayList<>(List.of("--combined", "-"));
      flags.addAll(session.filter(selection.rules()));
      context.message("comparing " + local + " with " + config.describe());
      List<String> differences = new ArrayList<>();
      long[] matching = {0};
      ProgramResult result =
          session.run(
              "cryptcheck",
              List.of(local.toString(), session.crypt(set == null ? "" : set)),
              flags,
              TIMEOUT,
              context,
              line -> {
                Matcher m = COMBINED.matcher(line);
                if (!m.matches()) {
                  return;
                }
                switch (m.group(1)) {
                  case "=" -> matching[0]++;
                  case "+" -> differences.add(m.group(2) + " (missing offsite)");
                  case "-" -> differences.add(m.group(2) + " (only offsite)");
                  case "*" -> differences.add(m.group(2) + " (content differs)");
                  default -> differences.add(m.group(2) + " (could not be checked)");
                }
              },
              true);
      if (!differences.isEmpty()) {
        throw ActionException.check(
            "check-offsite: the offsite copy "
                + config.describe()
                + " differs from "
                + local
                + " in "
                + differences.size()
                + " file(s): "
                + String.join(", ", differences.subList(0, Math.min(SHOWN, differences.size())))
                + (differences.size() > SHOWN ? ", …" : ""));
      }
      if (result.exitCode() != 0) {
        throw new IOException(
            "rclone cryptcheck failed with exit code "
                + result.exitCode()
                + ": "
                + result.tailText());
      }
      String duration = SyncOffsite.took(started);
      context.message(matching[0] + " files match the offsite copy");
      return new Result(
          "match", config.describe(), matching[0], duration, selection.skippedDamaged());
    }
  }
}
