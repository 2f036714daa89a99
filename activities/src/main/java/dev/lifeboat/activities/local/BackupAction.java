package dev.lifeboat.activities.local;

import static dev.lifeboat.activities.local.ContextProgress.require;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.BackupResult;
import dev.lifeboat.activities.archive.Repository;
import java.nio.file.Path;
import java.util.List;

/** {@code backup}: archives a local directory into the repository as {@code <set>/<source>/<timestamp>.tar.gz}. */
public final class BackupAction implements Action<BackupAction.Args> {
  /** Where the data comes from; only {@code local} here (pod and PVC sources are added elsewhere). */
  public record Args(
      @Arg(required = false, description = "where the data is: local (default)") String from,
      @Arg(description = "the directory to back up") String path,
      @Arg(required = false, description = "archive set, default local") String set,
      @Arg(required = false, description = "source name, default the directory's name") String source,
      @Arg(required = false, description = "globs relative to the directory; empty means everything")
      List<String> includes,
      @Arg(required = false, description = "globs relative to the directory to leave out") List<String> excludes) {
    public Args {
      from = from == null ? "local" : from;
      set = set == null ? "local" : set;
      includes = includes == null ? List.of() : List.copyOf(includes);
      excludes = excludes == null ? List.of() : List.copyOf(excludes);
    }
  }

  /** The published archive. */
  public record Output(String path, String archive, String set, String source, long files, long bytes,
      long compressedBytes, String sha256) { }

  private final Repository repository;

  public BackupAction(Repository repository) {
    this.repository = repository;
  }

  @Override
  public String name() {
    return "backup";
  }

  @Override
  public String description() {
    return "Archive a directory (tar.gz with a SHA-256 manifest) into the backup repository";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    if (!args.from().equals("local")) {
      throw ActionException.invalid("action 'backup': from '" + args.from()
          + "' is not available in this action yet (only 'local')");
    }
    Path dir = Path.of(require(args.path(), name(), "path")).toAbsolutePath().normalize();
    String source = args.source() != null ? args.source()
        : dir.getFileName() == null ? "root" : dir.getFileName().toString();
    context.message("archiving " + dir + " as " + args.set() + "/" + source);
    BackupResult r = repository.writeFromDirectory(args.set(), source, dir, args.includes(), args.excludes(),
        new ContextProgress(context));
    context.log("archived " + r.files() + " files (" + r.bytes() + " bytes) into " + r.ref().path());
    r.skipped().forEach(s -> context.log("skipped " + s));
    return new Output(r.ref().path().toString(), r.ref().name(), r.ref().set(), r.ref().source(), r.files(),
        r.bytes(), r.compressedBytes(), r.sha256());
  }
}
