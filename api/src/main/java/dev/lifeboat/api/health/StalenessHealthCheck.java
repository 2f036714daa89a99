package dev.lifeboat.api.health;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.activities.archive.ArchiveInfo;
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
 * Red when a backup tier's newest archive is older than its limit (e.g. tier1 older than 36 h): a
 * nightly job that silently stopped is the failure users find out about too late. Also publishes the
 * age of every source's newest archive as a gauge {@code lifeboat.backup.age-seconds.<set>.<source>}, and
 * the number of damaged archives as {@code lifeboat.backup.damaged.<set>.<source>}. A damaged archive is no
 * backup: only good ones make a tier fresh.
 */
public final class StalenessHealthCheck extends HealthCheck {
  private final Repository repository;
  private final Map<String, Duration> limits;
  private final MetricRegistry metrics;
  private final Clock clock;

  /**
   * @param limits by {@code set} (every source in it) or {@code set/source}; a set with no archive yet
   *     is not stale, it has not started
   */
  public StalenessHealthCheck(Repository repository, Map<String, String> limits, MetricRegistry metrics, Clock clock) {
    this.repository = repository;
    this.limits = new LinkedHashMap<>();
    limits.forEach((k, v) -> {
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
    for (ArchiveInfo a : repository.list(null, null)) {
      damagedGauge(a.set() + "/" + a.source());
      if (!a.damaged()) {
        newest.merge(a.set() + "/" + a.source(), a.createdAt(), (x, y) -> x.isAfter(y) ? x : y);
      }
    }
    newest.keySet().forEach(this::gauge);
    Instant now = clock.instant();
    List<String> stale = new ArrayList<>();
    List<String> fresh = new ArrayList<>();
    for (Map.Entry<String, Instant> e : newest.entrySet()) {
      Optional<Duration> limit = limitFor(e.getKey());
      if (limit.isEmpty()) {
        continue;
      }
      Duration age = Duration.between(e.getValue(), now);
      String line = e.getKey() + " last backup " + human(age) + " ago (limit " + human(limit.get()) + ")";
      (age.compareTo(limit.get()) > 0 ? stale : fresh).add(line);
    }
    if (!stale.isEmpty()) {
      return Result.unhealthy("stale backups: " + String.join("; ", stale));
    }
    return Result.healthy(fresh.isEmpty() ? "no tier with a limit has backups yet" : String.join("; ", fresh));
  }

  private Optional<Duration> limitFor(String setSource) {
    if (limits.containsKey(setSource)) {
      return Optional.of(limits.get(setSource));
    }
    return Optional.ofNullable(limits.get(setSource.substring(0, setSource.indexOf('/'))));
  }

  private void gauge(String setSource) {
    String name = MetricRegistry.name("lifeboat.backup.age-seconds", setSource.replace('/', '.'));
    if (!metrics.getGauges().containsKey(name)) {
      String[] parts = setSource.split("/", 2);
      metrics.gauge(name, () -> (Gauge<Long>) () -> {
        try {
          return repository.list(parts[0], parts[1]).stream().filter(a -> !a.damaged()).map(ArchiveInfo::createdAt)
              .max(Comparator.naturalOrder())
              .map(t -> Duration.between(t, clock.instant()).toSeconds()).orElse(-1L);
        } catch (IOException | RuntimeException e) {
          return -1L;
        }
      });
    }
  }

  private void damagedGauge(String setSource) {
    String name = MetricRegistry.name("lifeboat.backup.damaged", setSource.replace('/', '.'));
    if (!metrics.getGauges().containsKey(name)) {
      String[] parts = setSource.split("/", 2);
      metrics.gauge(name, () -> (Gauge<Long>) () -> {
        try {
          return repository.list(parts[0], parts[1]).stream().filter(ArchiveInfo::damaged).count();
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
