package dev.lifeboat.api.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.activities.archive.DrillRecord;
import dev.lifeboat.activities.archive.Fixtures;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.runbook.Param;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StalenessHealthCheckTest {
  static final Instant BACKED_UP = Instant.parse("2026-11-20T02:00:00Z");

  @TempDir Path tmp;

  @Test
  void aTierOlderThanItsLimitTurnsRedAndNamesTheSource() throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier1", "notebooks");
    backup(root, "tier2", "shared");
    backup(root, "scratch", "anything");
    Map<String, String> limits = Map.of("tier1", "36h", "tier2/shared", "8d");
    MetricRegistry metrics = new MetricRegistry();

    HealthCheck.Result fresh = check(root, limits, metrics, BACKED_UP.plus(Duration.ofHours(30)));
    assertThat(fresh.isHealthy()).isTrue();
    assertThat(fresh.getMessage())
        .contains("tier1/notebooks last backup 30h 0m ago (limit 36h 0m)")
        .doesNotContain("scratch");

    HealthCheck.Result stale = check(root, limits, metrics, BACKED_UP.plus(Duration.ofDays(3)));
    assertThat(stale.isHealthy()).isFalse();
    assertThat(stale.getMessage())
        .contains("tier1/notebooks last backup 3d 0h ago (limit 36h 0m)")
        .doesNotContain("tier2/shared");

    assertThat(metrics.getGauges())
        .containsKeys(
            "lifeboat.backup.age-seconds.tier1.notebooks",
            "lifeboat.backup.age-seconds.scratch.anything");
  }

  @Test
  void damagedArchivesAreCountedAndDoNotMakeATierFresh() throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier1", "notebooks");
    Path manifest;
    try (var files = Files.list(root.resolve("tier1/notebooks"))) {
      manifest =
          files
              .filter(f -> f.getFileName().toString().endsWith(".manifest.json"))
              .findFirst()
              .orElseThrow();
    }
    Files.delete(manifest); // listed as damaged from now on
    MetricRegistry metrics = new MetricRegistry();
    HealthCheck.Result r =
        check(root, Map.of("tier1", "36h"), metrics, BACKED_UP.plus(Duration.ofHours(1)));
    // all its archives damaged: there is nothing to restore from, so it is stale at once
    assertThat(r.isHealthy()).isFalse();
    assertThat(r.getMessage())
        .startsWith("stale backups: tier1/notebooks no good archive: 1 damaged");
    assertThat(metrics.getGauges().get("lifeboat.backup.damaged.tier1.notebooks").getValue())
        .isEqualTo(1L);
    // the age stays published, counted from the epoch, so an alert on it fires
    assertThat(metrics.getGauges().get("lifeboat.backup.age-seconds.tier1.notebooks").getValue())
        .isEqualTo(BACKED_UP.plus(Duration.ofHours(1)).getEpochSecond());
    // whatever the limits: a set with none is red too
    HealthCheck.Result noLimit =
        check(root, Map.of(), new MetricRegistry(), BACKED_UP.plus(Duration.ofHours(1)));
    assertThat(noLimit.isHealthy()).isFalse();
    assertThat(noLimit.getMessage()).contains("tier1/notebooks no good archive: 1 damaged");
  }

  @Test
  void aSourceWhoseVerifiedArchiveWentMissingStaysRedInsteadOfDroppingOut() throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier1", "notebooks");
    Repository repository = new Repository(root);
    var archive = repository.list("tier1", "notebooks").get(0).ref();
    repository.verify(archive, ProgressListener.NONE);
    Files.delete(archive.path()); // its manifest and state stay
    MetricRegistry metrics = new MetricRegistry();
    HealthCheck.Result r =
        check(root, Map.of("tier1", "36h"), metrics, BACKED_UP.plus(Duration.ofHours(1)));
    assertThat(r.isHealthy()).isFalse();
    assertThat(r.getMessage())
        .isEqualTo(
            "stale backups: tier1/notebooks no good archive: 1 damaged (1 of them missing: the"
                + " archive file is gone)");
    assertThat(metrics.getGauges().get("lifeboat.backup.damaged.tier1.notebooks").getValue())
        .isEqualTo(1L);
  }

  /**
   * A backup that could not read some entries completes with warnings; its archive used to make the
   * source as fresh and good as a whole one, every night, with nothing in the health check or its
   * gauges. It is named, its count a detail and a gauge, and the check stays green (the archive
   * restores what it holds: red is for nothing to restore from, or no recent backup or drill). The
   * next whole backup clears it; an archive whose manifest predates the count is not known (-1).
   */
  @Test
  void aSourceWhoseNewestArchiveLeftOutUnreadableEntriesIsNamedAndCountedButNotRed()
      throws Exception {
    Path root = tmp.resolve("repo");
    Path src = Files.createDirectories(tmp.resolve("src/tier1/notebooks"));
    Files.writeString(src.resolve("a.ipynb"), "{}");
    Fixtures.tooDeepToRead(src);
    try {
      backup(root, "tier1", "notebooks", src, BACKED_UP);
    } finally {
      Fixtures.removeTooDeep(src);
    }
    backup(root, "tier1", "models");
    Map<String, String> limits = Map.of("tier1", "36h");
    MetricRegistry metrics = new MetricRegistry();

    HealthCheck.Result r = check(root, limits, metrics, BACKED_UP.plus(Duration.ofHours(1)));
    assertThat(r.isHealthy()).as(r.getMessage()).isTrue();
    assertThat(r.getMessage())
        .isEqualTo(
            "tier1/models last backup 1h 0m ago (limit 36h 0m); tier1/notebooks last backup 1h 0m"
                + " ago (limit 36h 0m); incomplete backups: tier1/notebooks newest archive"
                + " 20261120T020000Z.tar.gz: 1 entry could not be read and is NOT in it");
    assertThat(r.getDetails()).containsEntry("incomplete", Map.of("tier1/notebooks", 1L));
    assertThat(metrics.getGauges().get("lifeboat.backup.unreadable.tier1.notebooks").getValue())
        .isEqualTo(1L);
    assertThat(metrics.getGauges().get("lifeboat.backup.unreadable.tier1.models").getValue())
        .isEqualTo(0L);

    // stale as well: red for its age, and the gap still said
    HealthCheck.Result late = check(root, limits, metrics, BACKED_UP.plus(Duration.ofDays(3)));
    assertThat(late.isHealthy()).isFalse();
    assertThat(late.getMessage())
        .startsWith("stale backups: tier1/models last backup 3d 0h ago")
        .endsWith(
            "; incomplete backups: tier1/notebooks newest archive 20261120T020000Z.tar.gz: 1 entry"
                + " could not be read and is NOT in it");

    // the next backup reads everything: the source is whole again
    backup(root, "tier1", "notebooks", src, BACKED_UP.plus(Duration.ofDays(1)));
    HealthCheck.Result whole =
        check(root, limits, metrics, BACKED_UP.plus(Duration.ofDays(1)).plusSeconds(60));
    assertThat(whole.isHealthy()).isTrue();
    assertThat(whole.getMessage()).doesNotContain("incomplete");
    assertThat(whole.getDetails() == null ? Map.of() : whole.getDetails())
        .doesNotContainKey("incomplete");
    assertThat(metrics.getGauges().get("lifeboat.backup.unreadable.tier1.notebooks").getValue())
        .isEqualTo(0L);

    // a manifest written before the count was kept: not known, and not called incomplete
    Path manifest = new Repository(root).list("tier1", "models").get(0).ref().manifestPath();
    Files.writeString(
        manifest, Files.readString(manifest).replaceFirst(",\"unreadable\":\\d+", ""));
    assertThat(metrics.getGauges().get("lifeboat.backup.unreadable.tier1.models").getValue())
        .isEqualTo(-1L);
  }

  @Test
  void aTierWithoutBackupsIsNotStaleAndBadLimitsAreNamed() throws Exception {
    HealthCheck.Result empty =
        check(tmp.resolve("empty"), Map.of("tier1", "36h"), new MetricRegistry(), BACKED_UP);
    assertThat(empty.isHealthy()).isTrue();
    assertThat(empty.getMessage()).contains("no tier with a limit has backups yet");
    assertThatThrownBy(
            () ->
                new StalenessHealthCheck(
                    new Repository(tmp),
                    Map.of("tier1", "soon"),
                    new MetricRegistry(),
                    Clock.systemUTC()))
        .hasMessageContaining("staleness.tier1")
        .hasMessageContaining("soon");
  }

  @Test
  void aScheduledSourceIsStaleAfterItsIntervalPlusJitterPlusGraceNotThePerSetDefault()
      throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier1", "notebooks");
    backup(root, "tier1", "models");
    Duration day = CronIntervals.interval("0 2 * * *", "UTC");
    assertThat(day).isEqualTo(Duration.ofDays(1));
    ScheduleIntervals nightly =
        new CronIntervals(
            List.of(
                new CronIntervals.Entry(
                    "notebooks-nightly",
                    "tier1",
                    "notebooks",
                    new ScheduleIntervals.Expected(
                        "notebooks-nightly", day, Duration.ofMinutes(30)))));
    // a day + 30 min jitter + 10 % grace (2h 24m) = 26h 54m; the per-set default of 36h would still
    // be green
    Map<String, String> defaults = Map.of("tier1", "36h");
    HealthCheck.Result inTime =
        new StalenessHealthCheck(
                new Repository(root),
                defaults,
                nightly,
                new MetricRegistry(),
                Clock.fixed(BACKED_UP.plus(Duration.ofHours(26)), ZoneOffset.UTC))
            .execute();
    assertThat(inTime.isHealthy()).isTrue();
    assertThat(inTime.getMessage())
        .contains(
            "tier1/notebooks last backup 26h 0m ago (limit 26h 54m: schedule"
                + " notebooks-nightly every 24h 0m + jitter 30m + grace 2h 24m)");
    HealthCheck.Result late =
        new StalenessHealthCheck(
                new Repository(root),
                defaults,
                nightly,
                new MetricRegistry(),
                Clock.fixed(BACKED_UP.plus(Duration.ofHours(27)), ZoneOffset.UTC))
            .execute();
    assertThat(late.isHealthy()).isFalse();
    assertThat(late.getMessage())
        .contains("tier1/notebooks last backup 27h 0m ago")
        // models has no schedule: the per-set fallback applies and it is still fresh
        .doesNotContain("tier1/models last backup 27h 0m ago (limit 26h");
    assertThat(late.getMessage()).startsWith("stale backups: tier1/notebooks");
  }

  @Test
  void intervalsComeFromTheCronTextInItsTimeZone() {
    assertThat(CronIntervals.interval("0 4 * * 0", "UTC")).isEqualTo(Duration.ofDays(7));
    assertThat(CronIntervals.interval("@monthly", null)).isEqualTo(Duration.ofDays(31));
    assertThat(CronIntervals.interval("@daily", "UTC")).isEqualTo(Duration.ofDays(1));
    // the night the clocks go back is 25 hours long in Berlin
    assertThat(CronIntervals.interval("0 5 * * *", "Europe/Berlin"))
        .isEqualTo(Duration.ofHours(25));
    assertThat(new ScheduleIntervals.Expected("m", Duration.ofDays(31), Duration.ZERO).limit())
        .isEqualTo(Duration.ofDays(31).plus(Duration.ofDays(31).dividedBy(10)));
    assertThat(new ScheduleIntervals.Expected("h", Duration.ofHours(1), Duration.ZERO).grace())
        .isEqualTo(Duration.ofHours(1));
  }

  @Test
  void intervalsOfSchedulesThatFireOftenTakeMillisecondsNotAWalkThroughTheYear() {
    long started = System.nanoTime();
    assertThat(CronIntervals.interval("*/2 * * * *", "UTC")).isEqualTo(Duration.ofMinutes(2));
    assertThat(CronIntervals.interval("*/15 * * * *", "UTC")).isEqualTo(Duration.ofMinutes(15));
    // the hour the clocks go back is passed twice but its times fire once: 02:45 to 03:00 is 1h15m
    assertThat(CronIntervals.interval("*/15 * * * *", "Europe/Berlin"))
        .isEqualTo(Duration.ofMinutes(75));
    assertThat(CronIntervals.interval("* * * * *", "Asia/Tokyo")).isEqualTo(Duration.ofMinutes(1));
    // walking a year of fires took seconds for each of these
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    // the longest gap may be between days: weekdays only, every 2 minutes: Friday 23:58 to Monday
    assertThat(CronIntervals.interval("*/2 * * * 1-5", "UTC"))
        .isEqualTo(Duration.ofDays(2).plusMinutes(2));
    // or within one: 09:00 to 17:30 twice an hour, the night is the gap
    assertThat(CronIntervals.interval("0,30 9-17 * * *", "UTC"))
        .isEqualTo(Duration.ofHours(15).plusMinutes(30));
    assertThat(CronIntervals.interval("0 0,20 * * *", "UTC")).isEqualTo(Duration.ofHours(20));
    assertThat(CronIntervals.interval("@yearly", "UTC").toDays()).isBetween(365L, 366L);
    // on the day the clocks go back, midnight to 20:00 is 21 hours in Berlin
    assertThat(CronIntervals.interval("0 0,20 * * *", "Europe/Berlin"))
        .isEqualTo(Duration.ofHours(21));
  }

  @Test
  void scheduleEntriesNameTheSetAndSourcesOfTheRunbooksBackups() {
    Step notebooks = step("notebooks", Map.of("set", "${params.set}", "source", "notebooks"));
    Step models = step("models", Map.of("set", "${params.set}", "source", "${params.what}"));
    Step computed = step("other", Map.of("set", "tier9", "source", "${steps.x.source}"));
    Runbook rb =
        new Runbook(
            "tier1-critical",
            "",
            List.of(
                new Param("set", dev.lifeboat.runbook.ParamType.STRING, "tier1", false, ""),
                new Param("what", dev.lifeboat.runbook.ParamType.STRING, "weights", false, "")),
            List.of(notebooks, models, computed),
            List.of(),
            null,
            "tier1-critical.yaml");
    List<CronIntervals.Entry> e =
        CronIntervals.entriesFor(
            rb,
            "models-nightly",
            "0 3 * * *",
            "UTC",
            Duration.ofMinutes(30),
            Map.of("what", "models"));
    assertThat(e).extracting(CronIntervals.Entry::set).containsExactly("tier1", "tier1", "tier9");
    assertThat(e)
        .extracting(CronIntervals.Entry::source)
        .containsExactly("notebooks", "models", null);
    CronIntervals intervals = new CronIntervals(e);
    assertThat(intervals.expected("tier9", "anything")).isPresent();
    assertThat(intervals.expected("tier1", "datasets")).isEmpty();
    assertThat(intervals.expected("tier1", "models").orElseThrow().jitter())
        .isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void aSourceWithoutAPassedDrillFor35DaysIsRedAndTheDrillIsInTheMetrics() throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier2", "shared");
    Repository repo = new Repository(root);
    MetricRegistry metrics = new MetricRegistry();
    // no staleness limits at all: only the drill rule speaks
    HealthCheck.Result young = check(root, Map.of(), metrics, BACKED_UP.plus(Duration.ofDays(30)));
    assertThat(young.isHealthy()).as("a new source has 35 days for its first drill").isTrue();
    HealthCheck.Result never = check(root, Map.of(), metrics, BACKED_UP.plus(Duration.ofDays(36)));
    assertThat(never.isHealthy()).isFalse();
    assertThat(never.getMessage())
        .contains("tier2/shared never drilled, archives since 36d 0h ago (limit 35d 0h)");
    assertThat(metrics.getGauges().get("lifeboat.drill.last-success-time.tier2.shared").getValue())
        .isEqualTo(-1L);

    var archive = repo.list("tier2", "shared").get(0).ref();
    Instant drilled = BACKED_UP.plus(Duration.ofDays(10));
    repo.recordDrill(
        archive,
        new DrillRecord(
            drilled,
            archive.name(),
            "tier2",
            "shared",
            1,
            10,
            4.5,
            DrillRecord.PASSED,
            null,
            "run-1"));
    repo.recordDrill(
        archive,
        new DrillRecord(
            drilled.plus(Duration.ofDays(20)),
            archive.name(),
            "tier2",
            "shared",
            1,
            10,
            9,
            DrillRecord.FAILED,
            "boom",
            "run-2"));
    assertThat(check(root, Map.of(), metrics, BACKED_UP.plus(Duration.ofDays(44))).isHealthy())
        .isTrue();
    HealthCheck.Result old = check(root, Map.of(), metrics, BACKED_UP.plus(Duration.ofDays(46)));
    // the failed drill does not count
    assertThat(old.getMessage())
        .contains("tier2/shared last passed restore drill 36d 0h ago (limit 35d 0h)");
    assertThat(metrics.getGauges().get("lifeboat.drill.last-success-time.tier2.shared").getValue())
        .isEqualTo(drilled.getEpochSecond());
    assertThat(metrics.getGauges().get("lifeboat.drill.restore-seconds.tier2.shared").getValue())
        .isEqualTo(4.5);
  }

  private static Step step(String id, Map<String, Object> with) {
    return new Step(id, "backup", with, null, null, null, null, null, null, 1, false, List.of(), 1);
  }

  private static HealthCheck.Result check(
      Path root, Map<String, String> limits, MetricRegistry metrics, Instant now) {
    return new StalenessHealthCheck(
            new Repository(root), limits, metrics, Clock.fixed(now, ZoneOffset.UTC))
        .execute();
  }

  private void backup(Path root, String set, String source) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src").resolve(set).resolve(source));
    Files.writeString(src.resolve("file.txt"), set + source);
    backup(root, set, source, src, BACKED_UP);
  }

  private static void backup(Path root, String set, String source, Path src, Instant at)
      throws Exception {
    new Repository(root, Clock.fixed(at, ZoneOffset.UTC))
        .writeFromDirectory(set, source, src, List.of(), List.of(), ProgressListener.NONE);
  }
}
