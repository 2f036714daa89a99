package dev.lifeboat.activities.local;

import static dev.lifeboat.activities.local.ContextProgress.require;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.RestoreResult;
import java.nio.file.Path;

/** {@code restore}: extracts an archive (default the latest) into a local directory, digests checked. */
public final class RestoreAction implements Action<RestoreAction.Args> {
  /** What to restore where; {@code clean} allows replacing a non-empty target after a full verify. */
  public record Args(
      @Arg(required = false, description = "where to restore: local (default)") String to,
      @Arg(description = "the target directory") String path,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(required = false, description = "source name; not needed when archive is an absolute path")
      String source,
      @Arg(required = false, description = "an absolute path or an archive file name; default the latest")
      String archive,
      @Arg(required = false, description = "replace the target's contents (after verifying the archive)")
      Boolean clean) {
    public Args {
      to = to == null ? "local" : to;
      set = set == null && !VerifyAction.isAbsolute(archive) ? "local" : set;
      clean = clean != null && clean;
    }
  }

  /** Where what was restored from. */
  public record Output(String archive, String target, long files, long bytes) { }

  private final Repository repository;

  public RestoreAction(Repository repository) {
    this.repository = repository;
  }

  @Override
  public String name() {
    return "restore";
  }

  @Override
  public String description() {
    return "Restore an archive (default the latest) into a local directory";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    if (!args.to().equals("local")) {
      throw ActionException.invalid("action 'restore': to '" + args.to()
          + "' is not available in this action yet (only 'local')");
    }
    Path target = Path.of(require(args.path(), name(), "path")).toAbsolutePath().normalize();
    ArchiveRef ref = VerifyAction.resolve(repository, name(), args.set(), args.source(), args.archive());
    context.message("restoring " + ref.name() + " into " + target);
    RestoreResult r = repository.restoreToDirectory(ref, target, args.clean(), new ContextProgress(context));
    context.log("restored " + r.files() + " files (" + r.bytes() + " bytes) from " + ref.path() + " into " + target);
    return new Output(ref.path().toString(), r.target().toString(), r.files(), r.bytes());
  }
}
