package dev.lifeboat.api.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
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

  @TempDir
  Path tmp;

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
    assertThat(fresh.getMessage()).contains("tier1/notebooks last backup 30h 0m ago (limit 36h 0m)")
        .doesNotContain("scratch");

    HealthCheck.Result stale = check(root, limits, metrics, BACKED_UP.plus(Duration.ofDays(3)));
    assertThat(stale.isHealthy()).isFalse();
    assertThat(stale.getMessage()).contains("tier1/notebooks last backup 3d 0h ago (limit 36h 0m)")
        .doesNotContain("tier2/shared");

    assertThat(metrics.getGauges()).containsKeys("lifeboat.backup.age-seconds.tier1.notebooks",
        "lifeboat.backup.age-seconds.scratch.anything");
  }

  @Test
  void damagedArchivesAreCountedAndDoNotMakeATierFresh() throws Exception {
    Path root = tmp.resolve("repo");
    backup(root, "tier1", "notebooks");
    Path manifest;
    try (var files = Files.list(root.resolve("tier1/notebooks"))) {
      manifest = files.filter(f -> f.getFileName().toString().endsWith(".manifest.json")).findFirst().orElseThrow();
    }
    Files.delete(manifest);  // listed as damaged from now on
    MetricRegistry metrics = new MetricRegistry();
    HealthCheck.Result r = check(root, Map.of("tier1", "36h"), metrics, BACKED_UP.plus(Duration.ofHours(1)));
    assertThat(r.getMessage()).contains("no tier with a limit has backups yet");
    assertThat(metrics.getGauges().get("lifeboat.backup.damaged.tier1.notebooks").getValue()).isEqualTo(1L);
  }

  @Test
  void aTierWithoutBackupsIsNotStaleAndBadLimitsAreNamed() throws Exception {
    HealthCheck.Result empty = check(tmp.resolve("empty"), Map.of("tier1", "36h"), new MetricRegistry(),
        BACKED_UP);
    assertThat(empty.isHealthy()).isTrue();
    assertThat(empty.getMessage()).contains("no tier with a limit has backups yet");
    assertThatThrownBy(() -> new StalenessHealthCheck(new Repository(tmp), Map.of("tier1", "soon"),
        new MetricRegistry(), Clock.systemUTC())).hasMessageContaining("staleness.tier1").hasMessageContaining("soon");
  }

  private static HealthCheck.Result check(Path root, Map<String, String> limits, MetricRegistry metrics, Instant now) {
    return new StalenessHealthCheck(new Repository(root), limits, metrics, Clock.fixed(now, ZoneOffset.UTC)).execute();
  }

  private void backup(Path root, String set, String source) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src").resolve(set).resolve(source));
    Files.writeString(src.resolve("file.txt"), set + source);
    new Repository(root, Clock.fixed(BACKED_UP, ZoneOffset.UTC))
        .writeFromDirectory(set, source, src, List.of(), List.of(), ProgressListener.NONE);
  }
}
