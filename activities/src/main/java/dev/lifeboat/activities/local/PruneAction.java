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
import java.time.Duration;
import java.util.List;

/** {@code prune}: deletes the archives of one source that no retention rule keeps. */
public final class PruneAction implements Action<PruneAction.Args> {
  /** At least one of keepLast and keepWithin. */
  public record Args(
      @Arg(description = "archive set") String set,
      @Arg(description = "source name") String source,
      @Arg(required = false, positive = true, description = "keep the newest N archives") Integer keepLast,
      @Arg(required = false, duration = true, positive = true, description = "keep archives younger than this, e.g. 30d") String keepWithin) { }

  /** Archive names deleted and kept, oldest first. */
  public record Output(List<String> deleted, List<String> kept) { }

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
    return "Delete archives no retention rule keeps (pinned, the newest good and the newest verified archive are"
        + " always kept; damaged archives are kept but never counted)";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Output run(Args args, ActionContext context) throws Exception {
    require(args.set(), name(), "set");
    require(args.source(), name(), "source");
    if (args.keepLast() == null && args.keepWithin() == null) {
      throw ActionException.invalid("action 'prune': give keepLast, keepWithin or both");
    }
    Duration within = null;
    if (args.keepWithin() != null) {
      try {
        within = Durations.parse(args.keepWithin());
      } catch (IllegalArgumentException e) {
        throw ActionException.invalid("action 'prune': keepWithin: " + e.getMessage());
      }
    }
    PruneResult r = repository.prune(args.set(), args.source(), new RetentionPolicy(args.keepLast(), within),
        new ContextProgress(context));
    r.deleted().forEach(n -> context.log("deleted " + args.set() + "/" + args.source() + "/" + n));
    context.log("kept " + r.kept().size() + " archives of " + args.set() + "/" + args.source());
    r.keptBecause().forEach((n, why) -> {
      if (why.contains("damaged")) {
        context.log("kept damaged " + n + " for inspection; it does not count toward retention, delete it by hand");
      }
    });
    return new Output(r.deleted(), r.kept());
  }
}
