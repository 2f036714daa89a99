package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.RetentionPolicy.Candidate;
import dev.lifeboat.activities.archive.RetentionPolicy.Decision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * restic's forget rules as a pure function: several hundred archives at synthetic times over two
 * years against an independent reference (periods as formatted calendar text, grouped, not restic's
 * walk), hand-checked small cases for the corners (ISO weeks, time zones, restic's extra oldest,
 * keepWithin relative to the newest archive), and the quota with pinned and damaged archives.
 */
class RetentionPolicyTest {
  static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

  @Test
  void twoYearsOfArchivesAgainstAReferenceForSeveralRuleCombinations() {
    List<Candidate> table = twoYears(new Random(42));
    assertThat(table).hasSizeGreaterThan(400);
    assertThat(table.get(table.size() - 1).time()).isAfter(START.plus(Duration.ofDays(700)));
    List<RetentionPolicy> policies =
        List.of(
            rules(null, null, 7, null, null, null, null, null),
            rules(null, null, 7, 4, 12, 3, null, null),
            rules(5, 24, null, null, null, null, null, null),
            rules(null, null, null, null, null, null, Duration.ofDays(30), null),
            rules(3, null, null, null, 6, null, Duration.ofDays(14), null),
            rules(null, null, null, 8, null, 10, null, null),
            rules(null, 48, 30, 10, null, null, null, ZoneId.of("America/New_York")),
            rules(null, null, 400, null, 36, null, null, ZoneId.of("Europe/Berlin")));
    for (RetentionPolicy p : policies) {
      List<Decision> got = p.select(table);
      Set<String> kept =
          got.stream().filter(Decision::keep).map(Decision::name).collect(Collectors.toSet());
      assertThat(new TreeSet<>(kept))
          .as(p.toString())
          .isEqualTo(new TreeSet<>(reference(p, table)));
      assertThat(got)
          .extracting(Decision::name)
          .as("oldest first, one verdict each")
          .isEqualTo(table.stream().map(Candidate::name).toList());
      got.stream()
          .filter(d -> !d.keep())
          .forEach(d -> assertThat(d.reasons()).containsExactly("no rule keeps it"));
      got.stream().filter(Decision::keep).forEach(d -> assertThat(d.reasons()).isNotEmpty());
      // what must never go
      table.stream()
          .filter(c -> c.pinned() || c.damaged())
          .forEach(c -> assertThat(kept).contains(c.name()));
      assertThat(kept).contains(newestGood(table).name());
    }
  }

  @Test
  void dailyKeepsTheNewestOfEachDayAndTheOldestWhileCountsLast() {
    List<Candidate> cs =
        List.of(
            at("a", "2026-01-01T08:00:00Z"),
            at("b", "2026-01-01T20:00:00Z"),
            at("c", "2026-01-02T09:00:00Z"),
            at("d", "2026-01-03T01:00:00Z"),
            at("e", "2026-01-03T23:00:00Z"));
    assertThat(kept(rules(null, null, 2, null, null, null, null, null), cs))
        .containsExactly("c", "e");
    // three days asked, three days there: a (not the newest of Jan 1) goes
    assertThat(kept(rules(null, null, 3, null, null, null, null, null), cs))
        .containsExactly("b", "c", "e");
    // four days asked, only three there: restic keeps the oldest archive as well (d is not its
    // day's newest)
    List<Decision> four = rules(null, null, 4, null, null, null, null, null).select(cs);
    assertThat(reasons(four))
        .containsEntry("a", List.of("oldest keepDaily"))
        .containsEntry("b", List.of("keepDaily"))
        .containsEntry("d", List.of("no rule keeps it"))
        .containsEntry("e", List.of("keepDaily", "newestGood"));
  }

  @Test
  void weeksAreIsoWeeksAndPeriodsFollowTheTimeZone() {
    // Sunday 2024-12-29 is in ISO week 2024-W52; Monday 2024-12-30 and 2025-01-05 are in 2025-W01
    List<Candidate> weeks =
        List.of(
            at("sun", "2024-12-29T12:00:00Z"),
            at("mon", "2024-12-30T12:00:00Z"),
            at("nextsun", "2025-01-05T12:00:00Z"));
    assertThat(kept(rules(null, null, null, 2, null, null, null, null), weeks))
        .containsExactly("sun", "nextsun");
    assertThat(kept(rules(null, null, null, null, null, 1, null, null), weeks))
        .containsExactly("nextsun");

    List<Candidate> night =
        List.of(
            at("noon", "2026-03-01T12:00:00Z"),
            at("late", "2026-03-01T23:30:00Z"),
            at("early", "2026-03-02T00:30:00Z"));
    assertThat(kept(rules(null, null, 2, null, null, null, null, null), night))
        .containsExactly("late", "early");
    // in Berlin 23:30Z is already 00:30 on 2 March: the same day as "early"
    assertThat(
            kept(rules(null, null, 2, null, null, null, null, ZoneId.of("Europe/Berlin")), night))
        .containsExactly("noon", "early");
  }

  @Test
  void keepWithinCountsFromTheNewestArchiveNotFromNow() {
    // the backups stopped long ago: a policy relative to now would delete all but one
    List<Candidate> cs =
        List.of(
            at("d0", "2025-01-01T00:00:00Z"),
            at("d10", "2025-01-11T00:00:00Z"),
            at("d20", "2025-01-21T00:00:00Z"),
            at("d45", "2025-02-15T00:00:00Z"));
    List<Decision> d =
        rules(null, null, null, null, null, null, Duration.ofDays(30), null).select(cs);
    assertThat(d.stream().filter(Decision::keep).map(Decision::name)).containsExactly("d20", "d45");
    // exactly at the cutoff is not newer than it (restic: After)
    List<Candidate> edge =
        List.of(at("edge", "2025-01-16T00:00:00Z"), at("new", "2025-02-15T00:00:00Z"));
    assertThat(kept(rules(null, null, null, null, null, null, Duration.ofDays(30), null), edge))
        .containsExactly("new");
  }

  @Test
  void damagedNeverCountAndPinnedNewestGoodAndNewestVerifiedStay() {
    List<Candidate> cs =
        List.of(
            new Candidate(
                "old-pinned", Instant.parse("2025-01-01T00:00:00Z"), 10, true, false, false),
            new Candidate(
                "verified", Instant.parse("2025-01-02T00:00:00Z"), 10, false, false, true),
            new Candidate("plain", Instant.parse("2025-01-03T00:00:00Z"), 10, false, false, false),
            new Candidate("good", Instant.parse("2025-01-04T00:00:00Z"), 10, false, false, false),
            new Candidate("broken", Instant.parse("2025-01-05T00:00:00Z"), 10, false, true, false));
    List<Decision> d = RetentionPolicy.keepLast(1).select(cs);
    assertThat(reasons(d))
        .containsEntry("old-pinned", List.of("pinned"))
        .containsEntry("verified", List.of("newestVerified"))
        .containsEntry("plain", List.of("no rule keeps it"))
        // the damaged one is newer, yet keepLast 1 counts the good one
        .containsEntry("good", List.of("keepLast", "newestGood"))
        .containsEntry("broken", List.of("damaged"));
  }

  @Test
  void quotaDeletesTheOldestUnprotectedArchivesAndSkipsPinnedOnes() {
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      cs.add(
          new Candidate(
              "a" + i, START.plus(Duration.ofDays(i)), 100, i == 0 || i == 3, false, false));
    }
    cs.add(new Candidate("damaged", START.plus(Duration.ofDays(6)), 10_000, false, true, false));
    RetentionPolicy quota = new RetentionPolicy(10, null, null, null, null, null, null, 350L, null);
    Map<String, List<String>> r = reasons(quota.select(cs));
    // 600 good bytes: a1, a2, a4 go (a0 and a3 are pinned, a5 the newest); the damaged 10 000 are
    // not counted
    assertThat(r)
        .containsEntry("a0", List.of("keepLast", "pinned"))
        .containsEntry("a1", List.of("over quota maxBytes=350"))
        .containsEntry("a2", List.of("over quota maxBytes=350"))
        .containsEntry("a3", List.of("keepLast", "pinned"))
        .containsEntry("a4", List.of("over quota maxBytes=350"))
        .containsEntry("a5", List.of("keepLast", "newestGood"))
        .containsEntry("damaged", List.of("damaged"));
    // 500 bytes fit: only the oldest unprotected one goes
    assertThat(kept(new RetentionPolicy(10, null, null, null, null, null, null, 500L, null), cs))
        .containsExactly("a0", "a2", "a3", "a4", "a5", "damaged");
    // a quota alone thins only by size; one too small for the protected archives deletes all it may
    // and stops
    assertThat(kept(new RetentionPolicy(null, null, null, null, null, null, null, 1L, null), cs))
        .containsExactly("a0", "a3", "a5", "damaged");
  }

  @Test
  void quotaOverTheTwoYearTable() {
    List<Candidate> table = twoYears(new Random(7));
    long max = 5_000;
    List<Decision> d =
        new RetentionPolicy(null, null, 60, null, 24, null, null, max, null).select(table);
    Map<String, Candidate> byName =
        table.stream().collect(Collectors.toMap(Candidate::name, c -> c));
    long keptGood =
        d.stream()
            .filter(Decision::keep)
            .map(x -> byName.get(x.name()))
            .filter(c -> !c.damaged())
            .mapToLong(Candidate::sizeBytes)
            .sum();
    assertThat(keptGood).isLessThanOrEqualTo(max);
    // the quota takes from the old end: every archive it deleted is older than every unprotected
    // one it kept
    Instant newestQuotaVictim =
        d.stream()
            .filter(x -> x.reasons().get(0).startsWith("over quota"))
            .map(x -> byName.get(x.name()).time())
            .max(Comparator.naturalOrder())
            .orElseThrow();
    d.stream()
        .filter(Decision::keep)
        .filter(
            x ->
                !x.reasons().contains("pinned")
                    && !x.reasons().contains("damaged")
                    && !x.reasons().contains("newestGood")
                    && !x.reasons().contains("newestVerified"))
        .forEach(x -> assertThat(byName.get(x.name()).time()).isAfter(newestQuotaVictim));
  }

  @Test
  void badRulesAreRefusedNamingTheRule() {
    assertThatThrownBy(
            () -> new RetentionPolicy(null, null, null, null, null, null, null, null, null))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("keepDaily")
        .hasMessageContaining("maxBytes");
    assertThatThrownBy(() -> rules(null, null, 0, null, null, null, null, null))
        .hasMessageContaining("keepDaily");
    assertThatThrownBy(() -> rules(null, null, null, null, -1, null, null, null))
        .hasMessageContaining("keepMonthly");
    assertThatThrownBy(
            () -> new RetentionPolicy(null, null, null, null, null, null, null, 0L, null))
        .hasMessageContaining("maxBytes");
  }

  // ------------------------------------------------------------------ the table and the reference

  /**
   * Archives at irregular times (hours to days apart) over two years; a few pinned, damaged or
   * verified.
   */
  static List<Candidate> twoYears(Random rnd) {
    List<Candidate> out = new ArrayList<>();
    Instant t = START;
    int i = 0;
    while (t.isBefore(START.plus(Duration.ofDays(730)))) {
      String name =
          DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC).format(t)
              + ".tar.gz";
      out.add(new Candidate(name, t, 50 + rnd.nextInt(200), i % 97 == 5, i % 53 == 7, i % 31 == 3));
      // mostly daily, sometimes several a day, sometimes a gap of a week (a holiday)
      int minutes =
          switch (rnd.nextInt(10)) {
            case 0 -> 30 + rnd.nextInt(300);
            case 1 -> 60 * 24 * (2 + rnd.nextInt(6));
            default -> 60 * 20 + rnd.nextInt(60 * 8);
          };
      t = t.plus(Duration.ofMinutes(minutes));
      i++;
    }
    return out;
  }

  /**
   * Independent of restic's walk: group the good archives by their period's text, newest periods
   * first.
   */
  static Set<String> reference(RetentionPolicy p, List<Candidate> table) {
    List<Candidate> good =
        table.stream()
            .filter(c -> !c.damaged())
            .sorted(Comparator.comparing(Candidate::time).reversed())
            .toList();
    Set<String> keep = new LinkedHashSet<>();
    if (p.keepLast() != null) {
      good.stream().limit(p.keepLast()).forEach(c -> keep.add(c.name()));
    }
    ZoneId z = p.zone();
    periods(
        good,
        p.keepHourly(),
        c -> DateTimeFormatter.ofPattern("yyyy-MM-dd HH").withZone(z).format(c.time()),
        keep);
    periods(
        good,
        p.keepDaily(),
        c -> DateTimeFormatter.ISO_LOCAL_DATE.withZone(z).format(c.time()),
        keep);
    periods(
        good,
        p.keepWeekly(),
        c -> DateTimeFormatter.ISO_WEEK_DATE.withZone(z).format(c.time()).substring(0, 8),
        keep);
    periods(
        good,
        p.keepMonthly(),
        c -> DateTimeFormatter.ofPattern("yyyy-MM").withZone(z).format(c.time()),
        keep);
    periods(
        good,
        p.keepYearly(),
        c -> DateTimeFormatter.ofPattern("yyyy").withZone(z).format(c.time()),
        keep);
    if (p.keepWithin() != null) {
      Instant newest = good.get(0).time();
      good.stream()
          .filter(c -> Duration.between(c.time(), newest).compareTo(p.keepWithin()) < 0)
          .forEach(c -> keep.add(c.name()));
    }
    table.stream().filter(c -> c.pinned() || c.damaged()).forEach(c -> keep.add(c.name()));
    keep.add(good.get(0).name());
    good.stream().filter(Candidate::verified).findFirst().ifPresent(c -> keep.add(c.name()));
    return keep;
  }

  private static void periods(
      List<Candidate> newestFirst,
      Integer n,
      Function<Candidate, String> period,
      Set<String> keep) {
    if (n == null) {
      return;
    }
    Map<String, Candidate> newestOfPeriod = new LinkedHashMap<>();
    newestFirst.forEach(c -> newestOfPeriod.putIfAbsent(period.apply(c), c));
    newestOfPeriod.values().stream().limit(n).forEach(c -> keep.add(c.name()));
    if (newestOfPeriod.size() < n) {
      keep.add(newestFirst.get(newestFirst.size() - 1).name());
    }
  }

  private static Candidate newestGood(List<Candidate> table) {
    return table.stream()
        .filter(c -> !c.damaged())
        .max(Comparator.comparing(Candidate::time))
        .orElseThrow();
  }

  private static RetentionPolicy rules(
      Integer last,
      Integer hourly,
      Integer daily,
      Integer weekly,
      Integer monthly,
      Integer yearly,
      Duration within,
      ZoneId zone) {
    return new RetentionPolicy(last, hourly, daily, weekly, monthly, yearly, within, null, zone);
  }

  private static Candidate at(String name, String time) {
    return new Candidate(name, Instant.parse(time), 1, false, false, false);
  }

  private static List<String> kept(RetentionPolicy p, List<Candidate> cs) {
    return p.select(cs).stream().filter(Decision::keep).map(Decision::name).toList();
  }

  private static Map<String, List<String>> reasons(List<Decision> ds) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    ds.forEach(d -> m.put(d.name(), d.reasons()));
    return m;
  }
}
