package dev.lifeboat.activities.local;

import static dev.lifeboat.activities.local.ContextProgress.require;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.activities.archive.PruneResult;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.archive.RetentionPolicy;
import dev.lifeboat.runbook.Durations;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * {@code prune}: deletes the archives of one source that no retention rule keeps, with restic's
 * {@code forget} rules (see {@link RetentionPolicy}) and a size quota.
 */
public final class PruneAction implements Action<PruneAction.Args> {
  /** At least one keep rule or maxBytes. */
  public record Args(
      @Arg(description = "archive set") String set,
      @Arg(description = "source name") String source,
      @Arg(required = false, positive = true, description = "keep the newest N archives")
          Integer keepLast,
      @Arg(
              required = false,
              positive = true,
              description =
                  "keep the newest archive of each of the last N hours" + " that have one")
          Integer keepHourly,
      @Arg(
              required = false,
              positive = true,
              description = "keep the newest archive of each of the last N days" + " that have one")
          Integer keepDaily,
      @Arg(
              required = false,
              positive = true,
              description =
                  "keep the newest archive of each of the last N ISO" + " weeks that have one")
          Integer keepWeekly,
      @Arg(
              required = false,
              positive = true,
              description =
                  "keep the newest archive of each of the last N months" + " that have one")
          Integer keepMonthly,
      @Arg(
              required = false,
              positive = true,
              description =
                  "keep the newest archive of each of the last N years" + " that have one")
          Integer keepYearly,
      @Arg(
              required = false,
              duration = true,
              positive = true,
              description = "keep archives newer than the newest" + " archive minus this, e.g. 30d")
          String keepWithin,
      @Arg(
              required = false,
              positive = true,
              description =
                  "quota in bytes: then delete the oldest unprotected"
                      + " archives until the source's good archives total at most this")
          Long maxBytes,
      @Arg(
              required = false,
              description = "time zone of the hour/day/week/month/year periods (default UTC)")
          String timezone,
      @Arg(required = false, description = "list what would be deleted, delete nothing")
          Boolean dryRun) {}

  /**
   * Archive names deleted (or that would be, with dryRun) and kept, oldest first, and the reasons
   * per archive.
   */
  public record Output(
      List<String> deleted,
      List<String> kept,
      Map<String, List<String>> keptBecause,
      Map<String, String> deletedBecause,
      long keptBytes,
      boolean dryRun) {}

  private final Repository repository;

  public PruneAction(Repository repository) {
    this.repository = repository;
  }

  @Override
  public String name() {
    return "prune";
  }

  @Override
  public String description() {
    return "Delete archives no retention rule keeps (restic's keepLast/Hourly/Daily/Weekly/Monthly/Yearly/Within,"
        + " then the maxBytes quota); pinned, the newest good and the newest verified archive are always kept,"
        + " damaged archives are kept but never counted";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    require(args.set(), name(), "set");
    require(args.source(), name(), "source");
    Duration within = null;
    if (args.keepWithin() != null) {
      try {
        within = Durations.parse(args.keepWithin());
      } catch (IllegalArgumentException e) {
        throw ActionException.invalid("action 'prune': keepWithin: " + e.getMessage());
      }
    }
    ZoneId zone = null;
    if (args.timezone() != null && !args.timezone().isBlank()) {
      try {
        zone = ZoneId.of(args.timezone());
      } catch (DateTimeException e) {
        throw ActionException.invalid(
            "action 'prune': timezone '"
                + args.timezone()
                + "' is not a time zone"
                + " (like UTC or Europe/Berlin)");
      }
    }
    RetentionPolicy policy;
    try {
      policy =
          new RetentionPolicy(
              args.keepLast(),
              args.keepHourly(),
              args.keepDaily(),
              args.keepWeekly(),
              args.keepMonthly(),
              args.keepYearly(),
              within,
              args.maxBytes(),
              zone);
    } catch (ActionException e) {
      throw ActionException.invalid("action 'prune': " + e.getMessage());
    }
    boolean dryRun = Boolean.TRUE.equals(args.dryRun());
    if (repository.list(args.set(), args.source()).isEmpty()) {
      // a scheduled run that backed up only some sources prunes all of them: one never written is
      // no error
      context.log("no archives of " + args.set() + "/" + args.source() + " yet: nothing to prune");
      return new Output(List.of(), List.of(), Map.of(), Map.of(), 0, dryRun);
    }
    PruneResult r =
        repository.prune(args.set(), args.source(), policy, dryRun, new ContextProgress(context));
    String where = args.set() + "/" + args.source() + "/";
    r.deletedBecause()
        .forEach(
            (n, why) ->
                context.log((dryRun ? "would delete " : "deleted ") + where + n + ": " + why));
    r.kept()
        .forEach(
            n ->
                context.log(
                    "kept " + where + n + ": " + String.join(", ", r.keptBecause().get(n))));
    r.keptBecause()
        .forEach(
            (n, why) -> {
              if (why.contains("damaged")) {
                context.log(
                    "kept damaged "
                        + n
                        + " for inspection; it does not count toward retention, delete it by hand");
              }
            });
    List<String> missing =
        r.keptBecause().entrySet().stream()
            .filter(e -> e.getValue().contains("missing"))
            .map(Map.Entry::getKey)
            .toList();
    if (!missing.isEmpty()) {
      // a verified backup that is gone is no success to pass over: the run completes with it
      boolean one = missing.size() == 1;
      context.warn(
          (one ? "1 archive of " : missing.size() + " archives of ")
              + args.set()
              + "/"
              + args.source()
              + (one
                  ? " is missing (its file is gone; the prune keeps its manifest and state record): "
                  : " are missing (their files are gone; the prune keeps their manifests and state"
                      + " records): ")
              + String.join(", ", missing)
              + "; GET /api/backups says why each is a loss");
    }
    if (args.maxBytes() != null && r.keptBytes() > args.maxBytes()) {
      context.log(
          "still over quota: "
              + r.keptBytes()
              + " bytes kept, maxBytes "
              + args.maxBytes()
              + "; the rest is pinned or the newest good/verified archive");
    }
    context.message(
        (dryRun ? "dry run: would delete " : "deleted ")
            + r.deleted().size()
            + ", kept "
            + r.kept().size()
            + " archives of "
            + args.set()
            + "/"
            + args.source());
    return new Output(
        r.deleted(), r.kept(), r.keptBecause(), r.deletedBecause(), r.keptBytes(), dryRun);
  }
}
