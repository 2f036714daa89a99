package dev.lifeboat.api.health;

import java.time.Duration;
import java.util.Optional;

/**
 * How often a set/source is expected to get a fresh archive, known from the schedules that back it
 * up. The staleness health check asks this first and falls back to its configured per-set limits
 * only when no schedule covers a set/source.
 */
public interface ScheduleIntervals {
  /**
   * What a schedule promises for one set/source.
   *
   * @param schedule the schedule's name, for the health message
   * @param interval the longest time between two of its fires (a month for {@code @monthly})
   * @param jitter how far each fire may land after its time
   */
  record Expected(String schedule, Duration interval, Duration jitter) {
    /**
     * The slack on top of interval and jitter: 10 % of the interval, at least an hour (a slow
     * backup, a restart).
     */
    public Duration grace() {
      Duration tenth = interval.dividedBy(10);
      return tenth.compareTo(Duration.ofHours(1)) < 0 ? Duration.ofHours(1) : tenth;
    }

    /** Older than this, the newest archive means the schedule stopped producing. */
    public Duration limit() {
      return interval.plus(jitter).plus(grace());
    }
  }

  /** The tightest expectation for {@code set/source}, or empty when no schedule backs it up. */
  Optional<Expected> expected(String set, String source);

  /** No schedules known: every set/source falls back to the configured limits. */
  static ScheduleIntervals none() {
    return (set, source) -> Optional.empty();
  }
}
