package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Which archives of one source a prune keeps, with restic's {@code forget} semantics: {@code
 * keepLast} keeps the newest N; {@code keepHourly}/{@code Daily}/{@code Weekly}/{@code
 * Monthly}/{@code Yearly} keep, for the last N hours/days/ISO weeks/months/years that have an
 * archive, the newest archive of each; when there are fewer such periods than N the oldest archive
 * is kept as well (restic 0.17); {@code keepWithin} keeps every archive newer than the newest
 * archive minus the duration (relative to the newest archive, not to now, so a source whose backups
 * stopped is not emptied). An archive is kept if any rule keeps it. Periods are calendar periods in
 * {@code zone} (UTC unless given; restic uses the machine's local time).
 *
 * <p>What restic does not have: only good archives count (a damaged one is never counted, never
 * deleted by a rule, kept for inspection); the newest good and the newest verified archive and
 * pinned archives are always kept; {@code maxBytes} then deletes the oldest archives that are not
 * so protected until the good archives' total size is at most the quota. Without any keep rule
 * every good archive passes the rules and only the quota thins.
 */
public record RetentionPolicy(
    Integer keepLast,
    Integer keepHourly,
    Integer keepDaily,
    Integer keepWeekly,
    Integer keepMonthly,
    Integer keepYearly,
    Duration keepWithin,
    Long maxBytes,
    ZoneId zone) {

  public RetentionPolicy {
    zone = zone == null ? ZoneOffset.UTC : zone;
    positive("keepLast", keepLast);
    positive("keepHourly", keepHourly);
    positive("keepDaily", keepDaily);
    positive("keepWeekly", keepWeekly);
    positive("keepMonthly", keepMonthly);
    positive("keepYearly", keepYearly);
    if (keepWithin != null && (keepWithin.isNegative() || keepWithin.isZero())) {
      throw ActionException.invalid("keepWithin must be a positive duration, was " + keepWithin);
    }
    if (maxBytes != null && maxBytes < 1) {
      throw ActionException.invalid("maxBytes must be at least 1, was " + maxBytes);
    }
    if (!hasKeepRule(
            keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin)
        && maxBytes == null) {
      throw ActionException.invalid(
          "a retention policy needs at least one of keepLast, keepHourly, keepDaily,"
              + " keepWeekly, keepMonthly, keepYearly, keepWithin, maxBytes");
    }
  }

  public RetentionPolicy(Integer keepLast, Duration keepWithin) {
    this(keepLast, null, null, null, null, null, keepWithin, null, null);
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

  /** What a policy looks at for one archive. */
  public record Candidate(
      String name,
      Instant time,
      long sizeBytes,
      boolean pinned,
      boolean damaged,
      boolean verified) {}

  /**
   * The verdict on one archive: kept with every reason that keeps it ({@code keepLast}, {@code
   * keepDaily}, ..., {@code oldest keepDaily} (restic's extra oldest), {@code keepWithin}, {@code
   * noRule}, {@code pinned}, {@code newestGood}, {@code newestVerified}, {@code damaged}), or
   * deleted with the one reason it goes ({@code no rule keeps it}, {@code over quota maxBytes=N}).
   */
  public record Decision(String name, boolean keep, List<String> reasons) {
    public Decision {
      reasons = List.copyOf(reasons);
    }
  }

  /** The verdicts for one source's archives, oldest first; a pure function of the candidates. */
  public List<Decision> select(List<Candidate> candidates) {
    List<Candidate> all =
        candidates.stream()
            .sorted(Comparator.comparing(Candidate::time).thenComparing(Candidate::name))
            .toList();
    Map<String, List<String>> reasons = new LinkedHashMap<>();
    all.forEach(c -> reasons.put(c.name(), new ArrayList<>()));
    List<Candidate> newestFirst = new ArrayList<>(all.stream().filter(c -> !c.damaged()).toList());
    Collections.reverse(newestFirst);

    bucket(newestFirst, keepLast, "keepLast", null, reasons);
    bucket(
        newestFirst,
        keepHourly,
        "keepHourly",
        t ->
            t.getYear() * 1_000_000L
                + t.getMonthValue() * 10_000L
                + t.getDayOfMonth() * 100L
                + t.getHour(),
        reasons);
    bucket(
        newestFirst,
        keepDaily,
        "keepDaily",
        t -> t.getYear() * 10_000L + t.getMonthValue() * 100L + t.getDayOfMonth(),
        reasons);
    bucket(
        newestFirst,
        keepWeekly,
        "keepWeekly",
        t -> t.get(IsoFields.WEEK_BASED_YEAR) * 100L + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR),
        reasons);
    bucket(
        newestFirst,
        keepMonthly,
        "keepMonthly",
        t -> t.getYear() * 100L + t.getMonthValue(),
        reasons);
    bucket(newestFirst, keepYearly, "keepYearly", t -> (long) t.getYear(), reasons);
    if (keepWithin != null && !newestFirst.isEmpty()) {
      Instant cutoff = newestFirst.get(0).time().minus(keepWithin);
      newestFirst.stream()
          .filter(c -> c.time().isAfter(cutoff))
          .forEach(c -> reasons.get(c.name()).add("keepWithin"));
    }
    if (!hasKeepRule(
        keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin)) {
      newestFirst.forEach(c -> reasons.get(c.name()).add("noRule"));
    }
    all.stream().filter(Candidate::pinned).forEach(c -> reasons.get(c.name()).add("pinned"));
    if (!newestFirst.isEmpty()) {
      reasons.get(newestFirst.get(0).name()).add("newestGood");
    }
    newestFirst.stream()
        .filter(Candidate::verified)
        .findFirst()
        .ifPresent(c -> reasons.get(c.name()).add("newestVerified"));
    all.stream().filter(Candidate::damaged).forEach(c -> reasons.get(c.name()).add("damaged"));

    Map<String, String> deletedBecause = new LinkedHashMap<>();
    all.stream()
        .filter(c -> reasons.get(c.name()).isEmpty())
        .forEach(c -> deletedBecause.put(c.name(), "no rule keeps it"));
    if (maxBytes != null) {
      // damaged archives are not counted: nothing good goes to make room for them
      List<Candidate> kept =
          all.stream().filter(c -> !c.damaged() && !deletedBecause.containsKey(c.name())).toList();
      long total = kept.stream().mapToLong(Candidate::sizeBytes).sum();
      for (Candidate c : kept) {
        if (total <= maxBytes) {
          break;
        }
        List<String> why = reasons.get(c.name());
        if (why.contains("pinned")
            || why.contains("newestGood")
            || why.contains("newestVerified")) {
          continue;
        }
        deletedBecause.put(c.name(), "over quota maxBytes=" + maxBytes);
        total -= c.sizeBytes();
      }
    }
    return all.stream()
        .map(
            c ->
                deletedBecause.containsKey(c.name())
                    ? new Decision(c.name(), false, List.of(deletedBecause.get(c.name())))
                    : new Decision(c.name(), true, reasons.get(c.name())))
        .toList();
  }

  /**
   * restic's bucket rule: walking newest to oldest, an archive whose period differs from the last
   * kept one's is kept while the count lasts; the oldest archive is kept too while the count lasts.
   * {@code period} null means every archive is its own period ({@code keepLast}).
   */
  private void bucket(
      List<Candidate> newestFirst,
      Integer count,
      String rule,
      Function<ZonedDateTime, Long> period,
      Map<String, List<String>> reasons) {
    if (count == null) {
      return;
    }
    int left = count;
    Long last = null;
    for (int i = 0; i < newestFirst.size() && left > 0; i++) {
      Candidate c = newestFirst.get(i);
      long p = period == null ? i : period.apply(c.time().atZone(zone));
      boolean oldest = i == newestFirst.size() - 1;
      if (last == null || p != last || oldest) {
        reasons.get(c.name()).add(last != null && p == last ? "oldest " + rule : rule);
        last = p;
        left--;
      }
    }
  }

  private static boolean hasKeepRule(
      Integer last,
      Integer hourly,
      Integer daily,
      Integer weekly,
      Integer monthly,
      Integer yearly,
      Duration within) {
    return last != null
        || hourly != null
        || daily != null
        || weekly != null
        || monthly != null
        || yearly != null
        || within != null;
  }

  private static void positive(String name, Integer n) {
    if (n != null && n < 1) {
      throw ActionException.invalid(name + " must be at least 1, was " + n);
    }
  }
}
