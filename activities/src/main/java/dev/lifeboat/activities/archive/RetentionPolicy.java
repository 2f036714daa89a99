package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Which archives of one source a prune keeps: the newest {@code keepLast}, and those created within
 * {@code keepWithin} of now. An archive is kept if either rule keeps it. A null component means that
 * rule is not used; at least one must be given.
 */
public record RetentionPolicy(Integer keepLast, Duration keepWithin) {
  public RetentionPolicy {
    if (keepLast == null && keepWithin == null) {
      throw ActionException.invalid("a retention policy needs keepLast or keepWithin (or both)");
    }
    if (keepLast != null && keepLast < 1) {
      throw ActionException.invalid("keepLast must be at least 1, was " + keepLast);
    }
    if (keepWithin != null && (keepWithin.isNegative() || keepWithin.isZero())) {
      throw ActionException.invalid("keepWithin must be a positive duration, was " + keepWithin);
    }
  }

  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, null);
  }

  public static RetentionPolicy keepWithin(Duration d) {
    return new RetentionPolicy(null, d);
  }

  public OptionalInt last() {
    return keepLast == null ? OptionalInt.empty() : OptionalInt.of(keepLast);
  }

  public Optional<Duration> within() {
    return Optional.ofNullable(keepWithin);
  }
}
