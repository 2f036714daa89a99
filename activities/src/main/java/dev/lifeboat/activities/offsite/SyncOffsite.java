package dev.lifeboat.activities.offsite;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.ProgramResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code sync-offsite} action: mirrors the local repository (or one set of it) to the encrypted
 * offsite copy when the offsite backend is reachable. Offline is a normal state for a workstation,
 * so an unreachable backend makes the step succeed with status {@code "skipped: offline"}. Only
 * what {@link OffsiteFiles} selects goes: an archive the repository holds damaged is left out (and
 * its offsite copy left as it is), and so is bookkeeping that changes after every sync. An offsite
 * copy is deleted only when a prune recorded deleting its archive here ({@code <stem>.pruned}): one
 * gone here for any other reason stays offsite, and the step warns of it.
 */
public final class SyncOffsite implements Action<SyncOffsite.Args> {
  static final String SKIPPED = "skipped: offline";
  private static final Duration TIMEOUT = Duration.ofHours(12);

  private final Rclone rclone;
  private final OffsiteConfig config;

  public SyncOffsite(Rclone rclone, OffsiteConfig config) {
    this.rclone = rclone;
    this.config = config;
  }

  /** Arguments of {@code sync-offsite}. */
  public record Args(
      @Arg(required = false, description = "only this set (default: the whole repository)")
          String set,
      @Arg(required = false, description = "local repository path (default: the configured one)")
          String repository) {}

  /**
   * Step output. {@code reason} is there only when the sync was skipped; {@code skippedDamaged}
   * names the archives ({@code set/source/name}) left out because the repository holds them
   * damaged; {@code keptOffsite} (not when skipped) those offsite that are not here and that no
   * prune deleted, whose offsite copies the sync left.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(
      String status,
      String reason,
      String remote,
      long files,
      long bytes,
      long checks,
      long deletes,
      String duration,
      List<String> skippedDamaged,
      List<String> keptOffsite) {}

  @Override
  public String name() {
    return "sync-offsite";
  }

  @Override
  public String description() {
    return "Mirrors the local repository to the encrypted offsite copy (rclone crypt); skipped when offline";
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
    Path source = set == null ? repository : repository.resolve(set);
    if (!Files.isDirectory(repository)) {
      throw ActionException.check(
          "sync-offsite: repository " + repository + " is not there (backup drive not mounted?)");
    }
    if (!Files.isDirectory(source)) {
      throw ActionException.invalid(
          "sync-offsite: set '" + set + "' does not exist in " + repository);
    }
    OffsiteFiles.Selection selection = OffsiteFiles.select(repository, set);
    if (selection.archives().isEmpty()) {
      // A sync mirrors deletions too: a source with nothing to copy would wipe the offsite copy.
      throw ActionException.check(
          "sync-offsite: refusing to mirror "
              + source
              + " because it holds no files that go offsite (no archive"
              + (selection.skippedDamaged().isEmpty() ? "" : " that is not damaged")
              + "); that would delete the offsite copy (is the right drive mounted?)");
    }
    for (String damaged : selection.skippedDamaged()) {
      context.message(
          "not copying "
              + damaged
              + " offsite: the repository holds it damaged (its offsite copy is left as it is)");
    }
    long started = System.nanoTime();
    try (Rclone.Session session = rclone.open(config, context)) {
      context.message("checking that " + config.describe() + " is reachable");
      Rclone.Reachability reach = session.probe(context);
      if (!reach.reachable()) {
        context.log("offsite copy skipped: " + reach.reason());
        context.message("offline: offsite sync skipped");
        return new Result(
            SKIPPED,
            reach.reason(),
            config.describe(),
            0,
            0,
            0,
            0,
            took(started),
            selection.skippedDamaged(),
            null);
      }
      session.requireOwnPassword(context);
      context.throwIfCancelled();
      String remote = session.crypt(set == null ? "" : set);
      // what is offsite and not here: only a prune's record lets the sync delete it
      Repository local = new Repository(repository);
      Map<String, ArchiveRef> pruned = new LinkedHashMap<>();
      for (ArchiveRef ref : local.pruned(set)) {
        pruned.put(OffsiteFiles.key(ref.set(), ref.source(), ref.stem()), ref);
      }
      context.message("listing " + config.describe());
      OffsiteFiles.Offsite offsite =
          OffsiteFiles.offsiteOnly(
              set,
              selection,
              session.listFiles(remote, session.filter(selection.rules()), context),
              pruned.keySet());
      warnKept(offsite.kept(), source, context);
      if (!offsite.pruned().isEmpty()) {
        context.log(
            "the offsite copies of archives a prune deleted go too: "
                + String.join(", ", offsite.pruned()));
      }
      List<String> rules = new ArrayList<>(offsite.rules());
      rules.addAll(selection.rules());
      context.throwIfCancelled();
      context.message("syncing " + source + " to " + config.describe() + " (encrypted)");
      Rclone.Transfer t =
          session.transfer(
              "sync", List.of(source.toString(), remote), session.filter(rules), TIMEOUT, context);
      // the offsite copies of the pruned archives that are not here are gone now
      pruned.forEach(
          (key, ref) -> {
            if (!selection.here().contains(key)) {
              forgetPruned(local, ref, context);
            }
          });
      String duration = took(started);
      context.message("synced " + t.files() + " files (" + t.bytes() + " bytes) in " + duration);
      return new Result(
          "synced",
          null,
          config.describe(),
          t.files(),
          t.bytes(),
          t.checks(),
          t.deletes(),
          duration,
          selection.skippedDamaged(),
          offsite.kept());
    }
  }

  private static final int NAMED = 10;

  /** The step warns of archives that are only offsite: a local loss is never passed over. */
  private static void warnKept(List<String> kept, Path source, ActionContext context) {
    if (kept.isEmpty()) {
      return;
    }
    String text =
        (kept.size() == 1 ? "1 archive is" : kept.size() + " archives are")
            + " offsite but not in "
            + source
            + ", and no prune deleted "
            + (kept.size() == 1 ? "it" : "them")
            + ": the offsite "
            + (kept.size() == 1 ? "copy is" : "copies are")
            + " kept ("
            + String.join(", ", kept.subList(0, Math.min(NAMED, kept.size())))
            + (kept.size() > NAMED ? ", …" : "")
            + "). fetch-offsite brings one back; to let the next sync delete one, leave an empty"
            + " <timestamp>.pruned in its source folder";
    context.log(text);
    context.warn(text);
  }

  private static void forgetPruned(Repository local, ArchiveRef ref, ActionContext context) {
    try {
      local.forgetPruned(ref);
    } catch (IOException e) {
      // kept, it only lets a later sync delete what is gone already
      context.log("could not remove " + ref.prunedPath() + ": " + e.getMessage());
    }
  }

  static String took(long startedNanos) {
    return ProgramResult.human(Duration.ofNanos(System.nanoTime() - startedNanos));
  }
}
