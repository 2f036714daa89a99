package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.VerifyResult;
import java.nio.file.Path;

/** {@code verify}: re-reads an archive and checks every digest, the entry count and the archive checksum. */
public final class VerifyAction implements Action<VerifyAction.Args> {
  /** Which archive: an absolute path, or a name (default latest) within set and source. */
  public record Args(
      @Arg(required = false, description = "an absolute path or an archive file name; default the latest")
      String archive,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(required = false, description = "source name; not needed when archive is an absolute path")
      String source) {
    public Args {
      set = set == null && !isAbsolute(archive) ? "local" : set;
    }
  }

  /** A passed verify; a failed one is an error naming the entry or the checksum. */
  public record Output(String archive, long files, long bytes, boolean ok) { }

  private final Repository repository;

  public VerifyAction(Repository repository) {
    this.repository = repository;
  }

  @Override
  public String name() {
    return "verify";
  }

  @Override
  public String description() {
    return "Check every file digest, the entry count and the checksum of an archive";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    ArchiveRef ref = resolve(repository, name(), args.set(), args.source(), args.archive());
    context.message("verifying " + ref.path());
    VerifyResult r = repository.verify(ref, new ContextProgress(context));
    context.log("verified " + ref.path() + ": " + r.files() + " files, " + r.bytes() + " bytes");
    return new Output(ref.path().toString(), r.files(), r.bytes(), true);
  }

  static boolean isAbsolute(String archive) {
    return archive != null && !archive.isBlank() && Path.of(archive).isAbsolute();
  }

  static ArchiveRef resolve(Repository repository, String action, String set, String source, String archive) {
    if (!isAbsolute(archive)) {
      ContextProgress.require(source, action, "source");
    }
    return repository.resolve(set, source, archive);
  }
}
