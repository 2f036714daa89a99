package dev.lifeboat.api.health;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.DrillRecord;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.runbook.Durations;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Red when a set/source's newest good archive is older than its schedule's interval plus jitter
 * plus a grace (see {@link ScheduleIntervals.Expected#limit()}), or, for a set/source no schedule
 * covers, older than the configured per-set limit (e.g. tier1 36 h): a nightly job that silently
 * stopped is the failure users find out about too late. Also red when a set/source that has
 * archives has had no passed restore drill for 35 days (counted from its oldest archive while it
 * was never drilled). A set/source whose archives are all damaged is red whatever its limit: there
 * is nothing to restore from; an archive whose file went missing is damaged (and counted in the
 * damaged gauge), so a source whose every archive is gone stays red instead of dropping out. A
 * fresh install with no archives is not red. A set/source whose newest good archive left out
 * entries its backup could not read (denied, an I/O error, vanished) is named under {@code
 * incomplete backups} in the message and in the {@code incomplete} detail (set/source to count),
 * and does not turn the check red: that archive restores what it holds, as its run COMPLETED with
 * warnings, and red stays for a source with nothing to restore from or no recent backup or drill (a
 * file that cannot be read every night would otherwise keep the check red for good, and the next
 * stale source would change nothing); the LifeboatBackupIncomplete alert fires for it. Publishes
 * per set/source the gauges {@code lifeboat.backup.age-seconds}, {@code lifeboat.backup.damaged},
 * {@code lifeboat.backup.unreadable} (the entries the newest good archive left out; -1 when it has
 * no good archive or its manifest predates the count), {@code lifeboat.drill.last-success-time}
 * (epoch seconds, -1 never) and {@code lifeboat.drill.restore-seconds} (of the last passed drill,
 * -1 never), each suffixed {@code .<set>.<source>} (the age counts from the epoch while a
 * set/source has no good archive). A damaged archive is no backup: only good ones make a tier
 * fresh. This is a health check, never part of the readiness probe.
 */
public final class StalenessHealthCheck extends HealthCheck {
  /** How long a set/source with archives may go without a passed restore drill. */
  public static final Duration DRILL_LIMIT = Duration.ofDays(35);

  private final Repository repository;
  private final Map<String, Duration> limits;
  private final ScheduleIntervals schedules;
  private final MetricRegistry metrics;
  private final Clock clock;

  public StalenessHealthCheck(
      Repository repository, Map<String, String> limits, MetricRegistry metrics, Clock clock) {
    this(repository, limits, ScheduleIntervals.none(), metrics, clock);
  }

  /**
   * @param limits by {@code set} (every source in it) or {@code set/source}, used where no schedule
   *     covers a set/source; a set with no archive yet is not stale, it has not started
   */
  public StalenessHealthCheck(
      Repository repository,
      Map<String, String> limits,
      ScheduleIntervals schedules,
      MetricRegistry metrics,
      Clock clock) {
    this.repository = repository;
    this.schedules = schedules;
    this.limits = new LinkedHashMap<>();
    limits.forEach(
        (k, v) -> {
          try {
            this.limits.put(k, Durations.parse(v));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("staleness." + k + ": " + e.getMessage());
          }
        });
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  protected Result check() throws IOException {
    Map<String, Instant> newest = new TreeMap<>();
    Map<String, Instant> oldest = new TreeMap<>();
    Map<String, Integer> damaged = new TreeMap<>();
    Map<String, Integer> missing = new TreeMap<>();
    Map<String, ArchiveInfo> newestGood = new TreeMap<>();
    for (ArchiveInfo a : repository.list(null, null)) {
      String key = a.set() + "/" + a.source();
      damagedGauge(key);
      oldest.merge(key, a.createdAt(), (x, y) -> x.isBefore(y) ? x : y);
      if (!a.damaged()) {
        newest.merge(key, a.createdAt(), (x, y) -> x.isAfter(y) ? x : y);
        newestGood.merge(key, a, (x, y) -> x.createdAt().isAfter(y.createdAt()) ? x : y);
      } else {
        damaged.merge(key, 1, Integer::sum);
        if (a.missing()) {
          missing.merge(key, 1, Integer::sum);
        }
      }
    }
    oldest.keySet().forEach(this::gauge);
    oldest.keySet().forEach(this::unreadableGauge);
    oldest.keySet().forEach(this::drillGauges);
    Instant now = clock.instant();
    List<String> stale = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    for (String key : oldest.keySet()) {
      if (!newest.containsKey(key)) {
        // archives that cannot be read back are no backup: there is nothing to restore from
        stale.add(
            key
                + " no good archive: "
                + damaged.getOrDefault(key, 0)
                + " damaged"
                + (missing.containsKey(key)
                    ? " (" + missing.get(key) + " of them missing: the archive file is gone)"
                    : ""));
      }
    }
    for (Map.Entry<String, Instant> e : newest.entrySet()) {
      Optional<String> limitText = Optional.empty();
      Duration limit = null;
      String[] parts = e.getKey().split("/", 2);
      Optional<ScheduleIntervals.Expected> expected = schedules.expected(parts[0], parts[1]);
      if (expected.isPresent()) {
        ScheduleIntervals.Expected x = expected.get();
        limit = x.limit();
        limitText =
            Optional.of(
                human(limit)
                    + ": schedule "
                    + x.schedule()
                    + " every "
                    + human(x.interval())
                    + " + jitter "
                    + human(x.jitter())
                    + " + grace "
                    + human(x.grace()));
      } else if (limitFor(e.getKey()).isPresent()) {
        limit = limitFor(e.getKey()).get();
        limitText = Optional.of(human(limit));
      }
      if (limit == null) {
        continue;
      }
      Duration age = Duration.between(e.getValue(), now);
      String line =
          e.getKey() + " last backup " + human(age) + " ago (limit " + limitText.get() + ")";
      (age.compareTo(limit) > 0 ? stale : fresh).add(line);
    }
    for (Map.Entry<String, Instant> e : oldest.entrySet()) {
      String[] parts = e.getKey().split("/", 2);
      Optional<Instant> drilled =
          repository.lastPassedDrill(parts[0], parts[1]).map(DrillRecord::at);
      Duration since = Duration.between(drilled.orElse(e.getValue()), now);
      if (since.compareTo(DRILL_LIMIT) > 0) {
        stale.add(
            e.getKey()
                + (drilled.isPresent()
                    ? " last passed restore drill " + human(since) + " ago"
                    : " never drilled, archives since " + human(since) + " ago")
                + " (limit "
                + human(DRILL_LIMIT)
                + ")");
      }
    }
    // the archive a restore takes by default holds less than its source: said, not red
    Map<String, Long> incomplete = new TreeMap<>();
    List<String> gaps = new ArrayList<>();
    for (ArchiveInfo a : newestGood.values()) {
      if (a.incomplete()) {
        String key = a.set() + "/" + a.source();
        incomplete.put(key, a.unreadable());
        gaps.add(
            key
                + " newest archive "
                + a.name()
                + ": "
                + dev.lifeboat.activities.archive.PathNote.notIn(a.unreadable())
                + " it");
      }
    }
    String gapText = gaps.isEmpty() ? "" : "; incomplete backups: " + String.join("; ", gaps);
    ResultBuilder result = Result.builder();
    if (!stale.isEmpty()) {
      result.unhealthy().withMessage("stale backups: " + String.join("; ", stale) + gapText);
    } else {
      result
          .healthy()
          .withMessage(
              (fresh.isEmpty() ? "no tier with a limit has backups yet" : String.join("; ", fresh))
                  + gapText);
    }
    if (!incomplete.isEmpty()) {
      result.withDetail("incomplete", incomplete);
    }
    return result.build();
  }

  private Optional<Duration> limitFor(String setSource) {
    if (limits.containsKey(setSource)) {
      return Optional.of(limits.get(setSource));
    }
    return Optional.ofNullable(limits.get(setSource.substring(0, setSource.indexOf('/'))));
  }

  private void drillGauges(String setSource) {
    String[] parts = setSource.split("/", 2);
    String suffix = setSource.replace('/', '.');
    String at = MetricRegistry.name("lifeboat.drill.last-success-time", suffix);
    if (!metrics.getGauges().containsKey(at)) {
      metrics.gauge(
          at,
          () ->
              (Gauge<Long>)
                  () ->
                      repository
                          .lastPassedDrill(parts[0], parts[1])
                          .map(d -> d.at().getEpochSecond())
                          .orElse(-1L));
    }
    String seconds = MetricRegistry.name("lifeboat.drill.restore-seconds", suffix);
    if (!metrics.getGauges().containsKey(seconds)) {
      metrics.gauge(
          seconds,
          () ->
              (Gauge<Double>)
                  () ->
                      repository
                          .lastPassedDrill(parts[0], parts[1])
                          .map(DrillRecord::restoreSeconds)
                          .orElse(-1.0));
    }
  }

  private void gauge(String setSource) {
    sourceGauge(
        "lifeboat.backup.age-seconds",
        setSource,
        archives ->
            Duration.between(
                    archives.stream()
                        .filter(a -> !a.damaged())
                        .map(ArchiveInfo::createdAt)
                        .max(Comparator.naturalOrder())
                        // no good archive: as old as if the last one were at the epoch
                        .orElse(Instant.EPOCH),
                    clock.instant())
                .toSeconds());
  }

  private void unreadableGauge(String setSource) {
    sourceGauge(
        "lifeboat.backup.unreadable",
        setSource,
        archives ->
            archives.stream()
                .filter(a -> !a.damaged())
                .max(Comparator.comparing(ArchiveInfo::createdAt))
                .map(ArchiveInfo::unreadable)
                // no good archive, or a manifest written before the count was kept
                .orElse(-1L));
  }

  private void damagedGauge(String setSource) {
    sourceGauge(
        "lifeboat.backup.damaged",
        setSource,
        archives -> archives.stream().filter(ArchiveInfo::damaged).count());
  }

  /**
   * Registers, once, a gauge {@code <prefix>.<set>.<source>} read from the source's archives as
   * listed at each read; -1 when they cannot be listed.
   */
  private void sourceGauge(
      String prefix,
      String setSource,
      java.util.function.Function<java.util.List<ArchiveInfo>, Long> value) {
    String name = MetricRegistry.name(prefix, setSource.replace('/', '.'));
    if (!metrics.getGauges().containsKey(name)) {
      String[] parts = setSource.split("/", 2);
      metrics.gauge(
          name,
          () ->
              (Gauge<Long>)
                  () -> {
                    try {
                      return value.apply(repository.list(parts[0], parts[1]));
                    } catch (IOException | RuntimeException e) {
                      return -1L;
                    }
                  });
    }
  }

  static String human(Duration d) {
    long h = d.toHours();
    if (h >= 48) {
      return d.toDays() + "d " + (h % 24) + "h";
    }
    if (h >= 1) {
      return h + "h " + d.toMinutesPart() + "m";
    }
    return d.toMinutes() + "m";
  }
}
