package dev.lifeboat.activities.local;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.Arg;
import dev.lifeboat.runbook.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code wait}: lets time pass, e.g. for a disk to settle or a service to come up before the next
 * step. The deadline is kept in the heartbeat details, so an attempt retried after its worker died
 * (a kill -9 of Lifeboat) waits only for what is left, not the whole duration again.
 */
public final class WaitAction implements Action<WaitAction.Args> {
  /** How long. */
  public record Args(
      @Arg(duration = true, positive = true, description = "how long to wait, e.g. 30s or 5m")
          String duration,
      @Arg(required = false, description = "what the wait is for, shown in the step's message")
          String reason) {}

  /** When the wait began and ended, and whether an earlier attempt's deadline was kept. */
  public record Result(String startedAt, String deadline, boolean resumed) {}

  /** The heartbeat details: the first attempt's start and deadline, epoch ms. */
  public record Checkpoint(long startedAtMillis, long deadlineMillis) {}

  private final Clock clock;

  public WaitAction() {
    this(Clock.systemUTC());
  }

  WaitAction(Clock clock) {
    this.clock = clock;
  }

  @Override
  public String name() {
    return "wait";
  }

  @Override
  public String description() {
    return "Waits for a duration; a retried attempt keeps the first attempt's deadline";
  }

  @Override
  public Class<Args> argumentsType() {
    return Args.class;
  }

  @Override
  public Result run(Args args, ActionContext context) throws InterruptedException {
    Duration duration;
    try {
      duration = Durations.parse(args.duration());
    } catch (IllegalArgumentException e) {
      throw ActionException.invalid("wait: duration " + e.getMessage());
    }
    var earlier = context.lastCheckpoint(Checkpoint.class);
    Checkpoint at =
        earlier.orElseGet(
            () -> {
              long now = clock.millis();
              return new Checkpoint(now, now + duration.toMillis());
            });
    context.checkpoint(at);
    String what = args.reason() == null || args.reason().isBlank() ? "" : " for " + args.reason();
    context.message(
        "waiting"
            + what
            + " until "
            + Instant.ofEpochMilli(at.deadlineMillis())
            + (earlier.isPresent() ? " (resumed after a retry)" : ""));
    long left;
    while ((left = at.deadlineMillis() - clock.millis()) > 0) {
      context.throwIfCancelled();
      Thread.sleep(Math.min(left, 500));
    }
    return new Result(
        Instant.ofEpochMilli(at.startedAtMillis()).toString(),
        Instant.ofEpochMilli(at.deadlineMillis()).toString(),
        earlier.isPresent());
  }
}
