package dev.lifeboat.api.metrics;

import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.api.core.RunService;
import dev.lifeboat.workflows.RunStatus;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Lifeboat's Prometheus series, read at scrape time from the places that own the facts: the
 * archives' state records in the repository and the runs Temporal keeps. A series appears once its
 * first event happened (a set/source's last-success timestamp after its first good archive, a run
 * counter after the first run of that runbook ended with that status); a set/source whose archives
 * are all damaged keeps its last-success series at 0, so an age alert on it fires. Names follow
 * Velero's and CloudNativePG's.
 */
public final class LifeboatMetrics implements MultiCollector {
  private static final double[] DURATION_BOUNDS = {
    60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, Double.POSITIVE_INFINITY
  };

  private final Repository repository;
  private final RunService runs;

  public LifeboatMetrics(Repository repository, RunService runs) {
    this.repository = repository;
    this.runs = runs;
  }

  @Override
  public MetricSnapshots collect() {
    List<MetricSnapshot> out = new ArrayList<>();
    backups(out);
    runs(out);
    return new MetricSnapshots(out);
  }

  private void backups(List<MetricSnapshot> out) {
    List<ArchiveInfo> all;
    try {
      all = repository.list(null, null);
    } catch (IOException e) {
      throw new UncheckedIOException("the repository cannot be listed: " + e.getMessage(), e);
    }
    var lastSuccess =
        GaugeSnapshot.builder()
            .name("lifeboat_backup_last_success_timestamp_seconds")
            .help(
                "Creation time of the newest archive of a set/source that is not damaged;"
                    + " 0 when all its archives are damaged");
    var size =
        GaugeSnapshot.builder()
            .name("lifeboat_backup_size_bytes")
            .help("Size on disk of the newest good archive of a set/source");
    var files =
        GaugeSnapshot.builder()
            .name("lifeboat_backup_files")
            .help("Files in the newest good archive of a set/source");
    var unreadable =
        GaugeSnapshot.builder()
            .name("lifeboat_backup_unreadable_entries")
            .help(
                "Entries the backup of the newest good archive of a set/source could not read"
                    + " (denied, an I/O error, vanished) and left out; absent while its manifest"
                    + " predates the count");
    Map<String, List<ArchiveInfo>> bySource =
        all.stream()
            .collect(
                Collectors.groupingBy(
                    a -> a.set() + "/" + a.source(), TreeMap::new, Collectors.toList()));
    for (List<ArchiveInfo> archives : bySource.values()) {
      ArchiveInfo any = archives.get(0);
      Labels labels = Labels.of("set", any.set(), "source", any.source());
      var newest =
          archives.stream()
              .filter(a -> !"damaged".equals(a.state().state().word()))
              .max(Comparator.comparing(ArchiveInfo::createdAt));
      if (newest.isEmpty()) {
        // every archive is damaged: the series stays, at the epoch, so the stale alert fires
        lastSuccess.dataPoint(gauge(labels, 0));
        continue;
      }
      lastSuccess.dataPoint(gauge(labels, newest.get().createdAt().toEpochMilli() / 1000.0));
      size.dataPoint(gauge(labels, newest.get().sizeBytes()));
      files.dataPoint(gauge(labels, newest.get().files()));
      if (newest.get().unreadable() != null) {
        unreadable.dataPoint(gauge(labels, newest.get().unreadable()));
      }
    }
    var states =
        GaugeSnapshot.builder()
            .name("lifeboat_archive_state")
            .help("Archives in the repository by state (unverified, verified, damaged)");
    all.stream()
        .collect(
            Collectors.groupingBy(
                a -> a.state().state().word(), TreeMap::new, Collectors.counting()))
        .forEach((state, n) -> states.dataPoint(gauge(Labels.of("state", state), n)));
    out.add(lastSuccess.build());
    out.add(size.build());
    out.add(files.build());
    out.add(unreadable.build());
    out.add(states.build());
    drills(all, out);
  }

  /**
   * From the drill evidence beside the archives (kept per set/source even after a prune removes the
   * archive).
   */
  private void drills(List<ArchiveInfo> all, List<MetricSnapshot> out) {
    var lastSuccess =
        GaugeSnapshot.builder()
            .name("lifeboat_drill_last_success_timestamp_seconds")
            .help("When the newest passed restore drill of a set/source ran");
    var restoreSeconds =
        GaugeSnapshot.builder()
            .name("lifeboat_drill_restore_seconds")
            .help("How long the newest passed restore drill took to restore (the measured RTO)");
    all.stream()
        .map(a -> List.of(a.set(), a.source()))
        .distinct()
        .sorted(Comparator.comparing(Object::toString))
        .forEach(
            key ->
                repository
                    .lastPassedDrill(key.get(0), key.get(1))
                    .ifPresent(
                        d -> {
                          Labels labels = Labels.of("set", key.get(0), "source", key.get(1));
                          lastSuccess.dataPoint(gauge(labels, d.at().toEpochMilli() / 1000.0));
                          restoreSeconds.dataPoint(gauge(labels, d.restoreSeconds()));
                        }));
    out.add(lastSuccess.build());
    out.add(restoreSeconds.build());
  }

  private void runs(List<MetricSnapshot> out) {
    List<RunService.RunSummary> ended =
        runs.list().stream()
            .filter(
                r ->
                    r.status() != RunStatus.RUNNING && r.status() != RunStatus.WAITING_FOR_APPROVAL)
            .toList();
    var total =
        CounterSnapshot.builder()
            .name("lifeboat_run")
            .help(
                "Ended runs Temporal still keeps, by runbook and status (COMPLETED, FAILED, CANCELED)");
    ended.stream()
        .collect(
            Collectors.groupingBy(
                r -> List.of(r.runbook(), r.status().name()), Collectors.counting()))
        .entrySet()
        .stream()
        .sorted(Map.Entry.comparingByKey(Comparator.comparing(Object::toString)))
        .forEach(
            e ->
                total.dataPoint(
                    CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(
                            Labels.of("runbook", e.getKey().get(0), "status", e.getKey().get(1)))
                        .value(e.getValue())
                        .build()));
    out.add(total.build());

    var durations =
        HistogramSnapshot.builder()
            .name("lifeboat_run_duration_seconds")
            .help("Duration of ended runs by runbook");
    ended.stream()
        .filter(r -> r.endedAt() > 0)
        .collect(
            Collectors.groupingBy(
                RunService.RunSummary::runbook, TreeMap::new, Collectors.toList()))
        .forEach(
            (runbook, list) -> {
              long[] counts = new long[DURATION_BOUNDS.length];
              double sum = 0;
              for (var r : list) {
                double seconds = Math.max(0, r.endedAt() - r.startedAt()) / 1000.0;
                sum += seconds;
                for (int i = 0; i < DURATION_BOUNDS.length; i++) {
                  if (seconds <= DURATION_BOUNDS[i]) {
                    counts[i]++;
                    break;
                  }
                }
              }
              durations.dataPoint(
                  HistogramSnapshot.HistogramDataPointSnapshot.builder()
                      .labels(Labels.of("runbook", runbook))
                      .sum(sum)
                      .classicHistogramBuckets(ClassicHistogramBuckets.of(DURATION_BOUNDS, counts))
                      .build());
            });
    out.add(durations.build());
  }

  private static GaugeSnapshot.GaugeDataPointSnapshot gauge(Labels labels, double value) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }
}
