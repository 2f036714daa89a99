package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.command.ProgramResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code fetch-offsite} action: brings one archive of a source (default: the latest) back from
 * the encrypted offsite copy into a local repository, with its manifest and, when it is the newest,
 * the {@code latest} pointer — the first step of a restore after the local drive was lost.
 */
public final class FetchOffsite implements Action<FetchOffsite.Args> {
  private static final Duration TIMEOUT = Duration.ofHours(12);
  private static final Duration SHORT = Duration.ofMinutes(5);

  private final Rclone rclone;
  private final OffsiteConfig config;

  public FetchOffsite(Rclone rclone, OffsiteConfig config) {
    this.rclone = rclone;
    this.config = config;
  }

  /** Arguments of {@code fetch-offsite}. */
  public record Args(
      @Arg(description = "the set, e.g. notebooks") String set,
      @Arg(description = "the source within the set, e.g. jupyter-0") String source,
      @Arg(
              required = false,
              description = "archive timestamp or file name (default: the one 'latest' names)")
          String archive,
      @Arg(
              required = false,
              description = "local repository to fetch into (default: the configured one)")
          String into) {}

  /** Step output: what was fetched and where it is now. */
  public record Result(
      String set,
      String source,
      String archive,
      String path,
      long files,
      long bytes,
      String duration) {}

  @Override
  public String name() {
    return "fetch-offsite";
  }

  @Override
  public String description() {
    return "Fetches an archive (default: the latest) with its manifest from the encrypted offsite copy";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws Exception {
    String set = RepositoryPaths.segment(name(), "set", args.set());
    String source = RepositoryPaths.segment(name(), "source", args.source());
    String requested =
        args.archive() == null || args.archive().isBlank()
            ? null
            : RepositoryPaths.archive(name(), "archive", RepositoryPaths.timestamp(args.archive()));
    Path into = RepositoryPaths.repository(args.into(), config);
    Path target = into.resolve(set).resolve(source);
    long started = System.nanoTime();
    try (Rclone.Session session = rclone.open(config, context)) {
      Rclone.Reachability reach = session.probe(context);
      if (!reach.reachable()) {
        throw ActionException.check(
            "fetch-offsite: cannot fetch from the offsite copy: " + reach.reason());
      }
      String remoteDir = set + "/" + source;
      Optional<String> remoteLatest = latest(session, remoteDir, context);
      if (requested == null && remoteLatest.isEmpty()) {
        throw ActionException.check(
            "fetch-offsite: the offsite copy has no 'latest' archive for " + remoteDir);
      }
      String archive =
          requested != null
              ? requested
              : RepositoryPaths.archive(name(), "archive named by 'latest'", remoteLatest.get());
      boolean isLatest = remoteLatest.map(archive::equals).orElse(false);
      List<String> argv =
          new ArrayList<>(
              List.of(
                  "--include",
                  "/" + archive + ".tar.gz",
                  "--include",
                  "/" + archive + ".tar.zst",
                  "--include",
                  "/" + archive + ".manifest.json"));
      if (isLatest) {
        argv.addAll(List.of("--include", "/latest"));
      }
      context.message("fetching " + remoteDir + "/" + archive + " from " + config.describe());
      Files.createDirectories(target);
      Rclone.Transfer t =
          session.transfer(
              "copy", List.of(session.crypt(remoteDir), target.toString()), argv, TIMEOUT, context);
      Path fetched = null;
      for (String ext : List.of(".tar.gz", ".tar.zst")) {
        if (Files.isRegularFile(target.resolve(archive + ext))) {
          fetched = target.resolve(archive + ext);
        }
      }
      if (fetched == null) {
        throw ActionException.check(
            "fetch-offsite: archive "
                + archive
                + " of "
                + remoteDir
                + " is not in the offsite copy "
                + config.describe());
      }
      String duration = SyncOffsite.took(started);
      context.message("fetched " + fetched.getFileName() + " in " + duration);
      return new Result(set, source, archive, fetched.toString(), t.files(), t.bytes(), duration);
    }
  }

  /** The archive the remote {@code latest} pointer names, if there is one. */
  private static Optional<String> latest(
      Rclone.Session session, String remoteDir, ActionContext context) throws Exception {
    StringBuilder text = new StringBuilder();
    ProgramResult result =
        session.run(
            "cat",
            List.of(session.crypt(remoteDir + "/latest")),
            List.of(),
            SHORT,
            context,
            line -> {
              if (!line.matches("^\\d{4}/\\d{2}/\\d{2} .*")) { // skip rclone's own log lines
                text.append(line).append('\n');
              }
            },
            false);
    if (result.exitCode() != 0 || text.toString().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(RepositoryPaths.timestamp(text.toString().lines().findFirst().orElse("")));
  }
}
