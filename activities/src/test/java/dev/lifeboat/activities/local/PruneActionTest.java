package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.Fixtures;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prune} through the dispatcher on real archives: dry run, quota with pins, and a prune
 * racing a restore.
 */
class PruneActionTest {
  @TempDir Path tmp;
  Fixtures.TestClock clock = new Fixtures.TestClock(Instant.parse("2026-01-01T02:00:00Z"));
  Repository repo;
  Path src;
  List<ArchiveRef> refs = new ArrayList<>();
  ExecutorService pool = Executors.newFixedThreadPool(2);

  @BeforeEach
  void tenDailyArchives() throws Exception {
    repo = new Repository(tmp.resolve("repo"), clock);
    src = Files.createDirectories(tmp.resolve("notebooks"));
    Files.write(
        src.resolve("weights.bin"),
        new byte[3_000_000]); // enough bytes that a restore takes a while
    Files.writeString(src.resolve("a.ipynb"), "{}");
    for (int day = 0; day < 10; day++) {
      clock.set(Instant.parse("2026-01-01T02:00:00Z").plus(Duration.ofDays(day)));
      refs.add(
          repo.writeFromDirectory(
                  "tier1", "notebooks", src, List.of(), List.of(), ProgressListener.NONE)
              .ref());
    }
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void aDryRunListsWhatWouldGoAndDeletesNothing() throws Exception {
    repo.recordDrill(
        refs.get(2),
        new dev.lifeboat.activities.archive.DrillRecord(
            Instant.now(),
            refs.get(2).name(),
            "tier1",
            "notebooks",
            2,
            3_000_002,
            0.5,
            "passed",
            null,
            "r"));
    List<Path> before = files();
    Map<String, Object> dry =
        ActionDispatcher.invoke(
            new PruneAction(repo),
            Map.of("set", "tier1", "source", "notebooks", "keepDaily", 3, "dryRun", true),
            new LocalActionContext("p"));
    assertThat(dry).containsEntry("dryRun", true);
    assertThat((List<?>) dry.get("deleted")).hasSize(7);
    assertThat(files()).isEqualTo(before);

    LocalActionContext ctx = new LocalActionContext("p");
    Map<String, Object> real =
        ActionDispatcher.invoke(
            new PruneAction(repo),
            Map.of("set", "tier1", "source", "notebooks", "keepDaily", 3),
            ctx);
    assertThat(real.get("deleted")).isEqualTo(dry.get("deleted"));
    assertThat(real.get("kept"))
        .isEqualTo(List.of(refs.get(7).name(), refs.get(8).name(), refs.get(9).name()));
    assertThat(real.get("deletedBecause")).isEqualTo(dry.get("deletedBecause"));
    assertThat(ctx.logLines())
        .anyMatch(
            l -> l.equals("deleted tier1/notebooks/" + refs.get(0).name() + ": no rule keeps it"));
    // sidecars go with their archive, the drill evidence too
    assertThat(refs.get(2).path()).doesNotExist();
    assertThat(refs.get(2).drillPath()).doesNotExist();
    assertThat(refs.get(2).manifestPath()).doesNotExist();
  }

  @Test
  void aVerifiedArchiveThatWentMissingIsKeptAsARecordAndWarnedOf() throws Exception {
    repo.verify(refs.get(5), ProgressListener.NONE);
    repo.verify(refs.get(9), ProgressListener.NONE);
    Files.delete(refs.get(5).path());
    LocalActionContext ctx = new LocalActionContext("p");
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new PruneAction(repo),
            Map.of("set", "tier1", "source", "notebooks", "keepLast", 2),
            ctx);
    assertThat(out.get("kept"))
        .isEqualTo(List.of(refs.get(5).name(), refs.get(8).name(), refs.get(9).name()));
    assertThat(((Map<?, ?>) out.get("keptBecause")).get(refs.get(5).name()))
        .isEqualTo(List.of("missing"));
    assertThat(ctx.warning())
        .isEqualTo(
            "1 archive of tier1/notebooks is missing (its file is gone; the prune keeps its"
                + " manifest and state record): "
                + refs.get(5).name()
                + "; GET /api/backups says why each is a loss");
    assertThat(refs.get(5).manifestPath()).exists();

    LocalActionContext clean = new LocalActionContext("p");
    // forgotten as the docs say: <stem>.* deleted (a state record alone still tells of a loss)
    Files.delete(refs.get(5).manifestPath());
    Files.delete(refs.get(5).statePath());
    ActionDispatcher.invoke(
        new PruneAction(repo), Map.of("set", "tier1", "source", "notebooks", "keepLast", 2), clean);
    assertThat(clean.warning()).as("forgotten by hand: nothing to warn of").isNull();
  }

  @Test
  void quotaDeletesOldestUnpinnedArchivesFirst() throws Exception {
    repo.pin(refs.get(1));
    long size = Files.size(refs.get(0).path());
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new PruneAction(repo),
            Map.of(
                "set",
                "tier1",
                "source",
                "notebooks",
                "keepLast",
                10,
                "maxBytes",
                4 * size + size / 2),
            new LocalActionContext("p"));
    // ten archives, room for four: the pinned one stays, the oldest six others go
    assertThat(out.get("kept"))
        .isEqualTo(
            List.of(
                refs.get(1).name(), refs.get(7).name(), refs.get(8).name(), refs.get(9).name()));
    assertThat(out.get("deleted"))
        .isEqualTo(
            List.of(
                refs.get(0).name(),
                refs.get(2).name(),
                refs.get(3).name(),
                refs.get(4).name(),
                refs.get(5).name(),
                refs.get(6).name()));
    assertThat(((Map<?, ?>) out.get("deletedBecause")).get(refs.get(0).name()))
        .isEqualTo("over quota maxBytes=" + (4 * size + size / 2));
    assertThat(repo.list("tier1", "notebooks"))
        .extracting(ArchiveInfo::name)
        .isEqualTo(out.get("kept"));
    assertThat(((Number) out.get("keptBytes")).longValue()).isEqualTo(4 * size);
  }

  @Test
  void badRulesAreRefusedBeforeAnythingIsDeleted() throws Exception {
    List<Path> before = files();
    for (Map<String, Object> args :
        List.of(
            Map.<String, Object>of("set", "tier1", "source", "notebooks"),
            Map.<String, Object>of("set", "tier1", "source", "notebooks", "keepDaily", 0),
            Map.<String, Object>of(
                "set",
                "tier1",
                "source",
                "notebooks",
                "keepDaily",
                3,
                "timezone",
                "Mars/Olympus"))) {
      assertThatThrownBy(
              () ->
                  ActionDispatcher.invoke(new PruneAction(repo), args, new LocalActionContext("p")))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("prune");
    }
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new PruneAction(repo),
                    Map.of(
                        "set",
                        "tier1",
                        "source",
                        "notebooks",
                        "keepDaily",
                        3,
                        "timezone",
                        "Mars/Olympus"),
                    new LocalActionContext("p")))
        .hasMessageContaining("'Mars/Olympus' is not a time zone");
    assertThat(files()).isEqualTo(before);
    var specs =
        new dev.lifeboat.activities.action.ActionRegistry()
            .register(new PruneAction(repo))
            .signatures()
            .get(0)
            .args();
    assertThat(specs)
        .containsKeys(
            "keepLast",
            "keepHourly",
            "keepDaily",
            "keepWeekly",
            "keepMonthly",
            "keepYearly",
            "keepWithin",
            "maxBytes",
            "dryRun",
            "timezone");
    assertThat(specs.get("keepWeekly").positive()).isTrue();
    assertThat(specs.get("maxBytes").positive()).isTrue();
  }

  @Test
  void aPruneRacingARestoreOfTheSameArchiveWaitsUntilTheRestoreIsDone() throws Exception {
    CountDownLatch restoring = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ActionContext slowRestore = new HeldContext(restoring, release);
    Path target = tmp.resolve("restored");
    String oldest = refs.get(0).name();
    Future<Map<String, Object>> restore =
        pool.submit(
            () ->
                ActionDispatcher.invoke(
                    new RestoreAction(repo),
                    Map.of(
                        "set",
                        "tier1",
                        "source",
                        "notebooks",
                        "archive",
                        oldest,
                        "path",
                        target.toString()),
                    slowRestore));
    assertThat(restoring.await(60, TimeUnit.SECONDS)).as("restore started").isTrue();

    CountDownLatch pruneWaits = new CountDownLatch(1);
    List<String> pruneMessages = new java.util.concurrent.CopyOnWriteArrayList<>();
    Future<?> prune =
        pool.submit(
            () ->
                repo.prune(
                    "tier1",
                    "notebooks",
                    dev.lifeboat.activities.archive.RetentionPolicy.keepLast(1),
                    false,
                    new ProgressListener() {
                      @Override
                      public void progress(long bytesDone, long bytesTotal, long filesDone) {}

                      @Override
                      public void message(String text) {
                        pruneMessages.add(text);
                        pruneWaits.countDown();
                      }
                    }));
    assertThat(pruneWaits.await(60, TimeUnit.SECONDS))
        .as("prune queues behind the restore")
        .isTrue();
    assertThat(pruneMessages.get(0))
        .startsWith("waiting for tier1/notebooks: held by run restore-run");
    assertThat(prune).isNotDone();
    assertThat(refs.get(0).path()).exists();

    release.countDown();
    Map<String, Object> restored = restore.get(60, TimeUnit.SECONDS);
    assertThat(restored.get("archive").toString()).endsWith(oldest);
    prune.get(60, TimeUnit.SECONDS);
    // the restore read the whole archive before the prune could delete it
    assertThat(Files.mismatch(target.resolve("weights.bin"), src.resolve("weights.bin")))
        .isEqualTo(-1L);
    assertThat(target.resolve(".lifeboat-restore-incomplete")).doesNotExist();
    assertThat(refs.get(0).path()).doesNotExist();
  }

  private List<Path> files() throws Exception {
    try (Stream<Path> s = Files.walk(tmp.resolve("repo"))) {
      return s.sorted().toList();
    }
  }

  /**
   * A run whose restore stops at its first progress report until released, holding the source lock.
   */
  private static final class HeldContext implements ActionContext {
    private final LocalActionContext local = new LocalActionContext("restore");
    private final CountDownLatch started;
    private final CountDownLatch release;

    HeldContext(CountDownLatch started, CountDownLatch release) {
      this.started = started;
      this.release = release;
    }

    @Override
    public String runId() {
      return "restore-run";
    }

    @Override
    public String stepKey() {
      return local.stepKey();
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public void progress(long bytesDone, long bytesTotal, long filesDone) {
      started.countDown();
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void message(String text) {
      local.message(text);
    }

    @Override
    public void log(String line) {
      local.log(line);
    }

    @Override
    public void checkpoint(Object details) {
      local.checkpoint(details);
    }

    @Override
    public <T> Optional<T> lastCheckpoint(Class<T> type) {
      return local.lastCheckpoint(type);
    }

    @Override
    public void throwIfCancelled() {}
  }
}
