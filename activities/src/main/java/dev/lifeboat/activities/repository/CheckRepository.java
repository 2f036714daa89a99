package dev.lifeboat.activities.repository;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code check-repository}: is a backup repository there (an external drive plugged in and mounted)
 * and does it hold an archive of a set and source with its manifest? A missing drive is an answer
 * ({@code available: false} with the reason), not a failure, so a runbook can branch on it with
 * {@code when:} and fetch the offsite copy instead.
 */
public final class CheckRepository implements Action<CheckRepository.Args> {
  /** Which repository and which archives to look for. */
  public record Args(
      @Arg(
              required = false,
              description =
                  "repository root, e.g. the external drive (default: the configured repository)")
          String path,
      @Arg(description = "archive set, e.g. tier2") String set,
      @Arg(description = "source within the set, e.g. shared") String source,
      @Arg(
              required = false,
              description =
                  "fail the step when the archives are not there, instead of answering"
                      + " available: false (a run that cannot go on without them stops here)")
          Boolean require) {}

  /**
   * The answer. {@code latest} is the absolute path of the newest archive (the one the {@code
   * latest} pointer names when it is valid), null when there is none; {@code missing} is the
   * opposite of {@code available}, for the other branch's {@code when:}.
   */
  public record Result(
      boolean available,
      boolean missing,
      String path,
      String set,
      String source,
      String latest,
      String latestName,
      String latestCreatedAt,
      int archives,
      String reason) {}

  private final Path defaultRoot;

  public CheckRepository(Path defaultRoot) {
    this.defaultRoot = defaultRoot.toAbsolutePath().normalize();
  }

  @Override
  public String name() {
    return "check-repository";
  }

  @Override
  public String description() {
    return "Check whether a repository (e.g. the external drive) is there and holds archives of a source";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) {
    Path root = root(args.path());
    Repository repository = new Repository(root);
    context.message("looking for " + args.set() + "/" + args.source() + " in " + root);
    if (!Files.isDirectory(root)) {
      return answer(
          context,
          args,
          unavailable(
              root, args, root + " is not there (is the external drive plugged in and mounted?)"));
    }
    if (!Files.isReadable(root)) {
      return answer(context, args, unavailable(root, args, root + " cannot be read by the worker"));
    }
    List<ArchiveInfo> archives;
    try {
      // a damaged archive (failed check, missing manifest) is no copy to restore from
      archives =
          repository.list(args.set(), args.source()).stream().filter(a -> !a.damaged()).toList();
    } catch (IOException e) {
      // a failing drive is an answer too: the runbook can fall back to the offsite copy
      return answer(
          context, args, unavailable(root, args, root + " cannot be listed: " + e.getMessage()));
    }
    if (archives.isEmpty()) {
      return answer(
          context,
          args,
          unavailable(
              root,
              args,
              root
                  + " holds no archive of set '"
                  + args.set()
                  + "', source '"
                  + args.source()
                  + "' with its manifest (damaged ones do not count)"));
    }
    ArchiveInfo latest = archives.get(archives.size() - 1);
    try {
      ArchiveRef pointed = repository.resolve(args.set(), args.source(), null);
      latest =
          archives.stream().filter(a -> a.name().equals(pointed.name())).findFirst().orElse(latest);
    } catch (ActionException e) {
      // no usable pointer: the newest listed archive is the latest
    }
    String reason =
        archives.size()
            + " archive(s) of "
            + args.set()
            + "/"
            + args.source()
            + " in "
            + root
            + ", latest "
            + latest.name();
    return answer(
        context,
        new Result(
            true,
            false,
            root.toString(),
            args.set(),
            args.source(),
            latest.path().toString(),
            latest.name(),
            String.valueOf(latest.createdAt()),
            archives.size(),
            reason));
  }

  private Path root(String path) {
    if (path == null || path.isBlank()) {
      return defaultRoot;
    }
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      throw ActionException.invalid(
          "check-repository: 'path' must be an absolute directory, got '" + path + "'");
    }
    return p.normalize();
  }

  private static Result unavailable(Path root, Args args, String reason) {
    if (args.set() == null || args.source() == null) {
      throw ActionException.invalid("check-repository: 'set' and 'source' are required");
    }
    return new Result(
        false, true, root.toString(), args.set(), args.source(), null, null, null, 0, reason);
  }

  private static Result answer(ActionContext context, Result r) {
    context.message(r.reason());
    context.log((r.available() ? "available: " : "not available: ") + r.reason());
    return r;
  }

  /** The answer, or with {@code require} a failure when it is "not there". */
  private static Result answer(ActionContext context, Args args, Result r) {
    answer(context, r);
    if (!r.available() && Boolean.TRUE.equals(args.require())) {
      throw ActionException.invalid(r.reason());
    }
    return r;
  }
}
