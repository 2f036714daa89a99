package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.Fixtures;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.RecordingContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalBackupActionsTest {
  @TempDir Path tmp;
  Repository repo;
  Path src;
  LocalActionContext ctx = new LocalActionContext("s");

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"));
    src = Fixtures.awkwardTree(tmp.resolve("notebooks"));
  }

  @Test
  void aSecondBackupReportsWhatItReusedAndFullReadsEverything() throws Exception {
    Map<String, Object> first =
        ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(first).containsEntry("reusedFiles", 0L).containsEntry("reusedBytes", 0L);
    // unverified: nothing is copied from it
    Map<String, Object> unchecked =
        ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(unchecked).containsEntry("reusedFiles", 0L);
    ActionDispatcher.invoke(new VerifyAction(repo), Map.of("archive", unchecked.get("path")), ctx);
    Map<String, Object> second =
        ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(second)
        .containsEntry("reusedFiles", second.get("files"))
        .containsEntry("reusedBytes", second.get("bytes"));
    Map<String, Object> full =
        ActionDispatcher.invoke(
            new BackupAction(repo), Map.of("path", src.toString(), "full", true), ctx);
    assertThat(full).containsEntry("reusedFiles", 0L).containsEntry("files", first.get("files"));
  }

  @Test
  void backupVerifyRestoreThroughTheDispatcher() throws Exception {
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new BackupAction(repo),
            Map.of("path", src.toString(), "excludes", List.of("data/**")),
            ctx);
    assertThat(out)
        .containsEntry("set", "local")
        .containsEntry("source", "notebooks")
        .containsEntry("files", 4L);
    String path = (String) out.get("path");
    assertThat(Path.of(path)).isAbsolute().exists();
    assertThat(out.get("archive")).isEqualTo(Path.of(path).getFileName().toString());
    assertThat((String) out.get("sha256")).hasSize(64);
    assertThat(((Number) out.get("compressedBytes")).longValue())
        .isEqualTo(Files.size(Path.of(path)));
    assertThat(ctx.filesDone()).isEqualTo(4);
    assertThat(ctx.progressCalls()).isPositive();

    Map<String, Object> verified =
        ActionDispatcher.invoke(new VerifyAction(repo), Map.of("archive", path), ctx);
    assertThat(verified)
        .containsEntry("ok", true)
        .containsEntry("files", 4L)
        .containsEntry("archive", path);
    Map<String, Object> byName =
        ActionDispatcher.invoke(new VerifyAction(repo), Map.of("source", "notebooks"), ctx);
    assertThat(byName).containsEntry("archive", path);

    Path target = tmp.resolve("restored");
    Map<String, Object> restored =
        ActionDispatcher.invoke(
            new RestoreAction(repo), Map.of("path", target.toString(), "source", "notebooks"), ctx);
    assertThat(restored)
        .containsEntry("archive", path)
        .containsEntry("target", target.toString())
        .containsEntry("files", 4L);
    Map<String, String> expected = Fixtures.describe(src);
    expected.keySet().removeIf(k -> k.startsWith("data/")); // "data/**" leaves the directory itself
    assertThat(Fixtures.describe(target)).isEqualTo(expected);

    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new RestoreAction(repo),
                    Map.of("path", target.toString(), "source", "notebooks"),
                    ctx))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not empty");
    Map<String, Object> again =
        ActionDispatcher.invoke(
            new RestoreAction(repo),
            Map.of("path", target.toString(), "source", "notebooks", "clean", true),
            ctx);
    assertThat(again).containsEntry("files", 4L);
  }

  @Test
  void backupOutputListsSkippedAndChangedAsPathAndReason() throws Exception {
    Fixtures.Run mkfifo = Fixtures.run(src, "mkfifo", src.resolve("pipe").toString());
    assertThat(mkfifo.exit()).isZero();
    Map<String, Object> out =
        ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(out.get("skipped")).isEqualTo(List.of(Map.of("path", "pipe", "reason", "fifo")));
    assertThat(out.get("changed")).isEqualTo(List.of());
    assertThat(out).containsEntry("skippedCount", 1L).containsEntry("changedCount", 0L);
    // and the step's last message says so, not only its output
    assertThat(ctx.lastMessage())
        .contains("1 entry is NOT in it (see skipped), e.g. pipe: fifo")
        .startsWith("archived ");
    // a fifo is left out by design: the archive is a whole copy, nothing to warn of
    assertThat(out).containsEntry("unreadable", 0L);
    assertThat(ctx.warning()).isNull();
  }

  /**
   * An entry the backup could not read left a COMPLETED run that looked whole; restic exits 3 then.
   * The step warns, naming how many and the first, and counts them apart from what is left out by
   * design.
   */
  @Test
  void entriesThatCouldNotBeReadAreCountedAndWarnedOf() throws Exception {
    Fixtures.Run mkfifo = Fixtures.run(src, "mkfifo", src.resolve("pipe").toString());
    assertThat(mkfifo.exit()).isZero();
    Fixtures.tooDeepToRead(src);
    try {
      Map<String, Object> out =
          ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
      assertThat(out).containsEntry("skippedCount", 2L).containsEntry("unreadable", 1L);
      @SuppressWarnings("unchecked")
      List<Map<String, String>> skipped = (List<Map<String, String>>) out.get("skipped");
      Map<String, String> deep =
          skipped.stream().filter(n -> n.get("path").startsWith("deep/")).findFirst().orElseThrow();
      assertThat(deep.get("reason")).isEqualTo("unreadable: File name too long");
      assertThat(ctx.warning())
          .isEqualTo(
              "1 entry could not be read and is NOT in "
                  + out.get("archive")
                  + ", e.g. "
                  + deep.get("path")
                  + ": unreadable: File name too long");
      // the archive is published and good for what it holds
      assertThat(
              ActionDispatcher.invoke(
                  new VerifyAction(repo), Map.of("archive", out.get("path")), ctx))
          .containsEntry("ok", true)
          .containsEntry("files", out.get("files"));
    } finally {
      Fixtures.removeTooDeep(src);
    }
  }

  /**
   * A file that shrank while read is archived padded with zeros it never held (as GNU tar does,
   * which exits 1): it was listed under changed, but the run completed as if whole, and a restore
   * gives the zeros back without a word. The step warns, naming how many and the first.
   */
  @Test
  void aFileThatShrankWhileReadIsWarnedOf() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("shrinking"));
    Files.writeString(folder.resolve("a-first.txt"), "first\n");
    Files.writeString(folder.resolve("c-shrinks.txt"), "shrinks\n".repeat(1000));
    boolean[] cut = {false};
    // at the first progress report (the scan is done, nothing read yet), a file is cut short
    // before it is read
    RecordingContext meddling =
        new RecordingContext("s")
            .onProgress(
                (done, total, files) -> {
                  if (!cut[0]) {
                    cut[0] = true;
                    try {
                      Files.writeString(folder.resolve("c-shrinks.txt"), "short");
                    } catch (java.io.IOException e) {
                      throw new IllegalStateException(e);
                    }
                  }
                });
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new BackupAction(repo), Map.of("path", folder.toString()), meddling);

    assertThat(cut[0]).isTrue();
    assertThat(out.get("changed"))
        .isEqualTo(
            List.of(
                Map.of(
                    "path", "c-shrinks.txt", "reason", "shrank while read (padded with zeros)")));
    // nothing was left out: the archive holds every entry, one of them not as its file is
    assertThat(out).containsEntry("unreadable", 0L);
    assertThat(meddling.local().warning())
        .isEqualTo(
            "1 file shrank while read and ends in zeros it never held in "
                + out.get("archive")
                + ", e.g. c-shrinks.txt: shrank while read (padded with zeros)");
  }

  @Test
  void aBackupOfFilesThatStayPutHasNoWarning() throws Exception {
    ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(ctx.warning()).isNull();
  }

  /**
   * 40,000 sockets or unreadable files made the step's result larger than Temporal takes (2 MB):
   * the backup published its archive and the step still failed, with no reason given.
   */
  @Test
  void thousandsOfSkippedFilesAreCountedNotAllListed() throws Exception {
    Fixtures.Run mkfifo =
        Fixtures.run(
            src, "sh", "-c", "i=0; while [ $i -lt 1200 ]; do mkfifo pipe-$i; i=$((i+1)); done");
    assertThat(mkfifo.exit()).as(mkfifo.err()).isZero();
    Map<String, Object> out =
        ActionDispatcher.invoke(new BackupAction(repo), Map.of("path", src.toString()), ctx);
    assertThat(out).containsEntry("skippedCount", 1200L);
    List<?> skipped = (List<?>) out.get("skipped");
    assertThat(skipped).hasSize(BackupAction.MAX_NOTES + 1);
    assertThat(skipped.get(BackupAction.MAX_NOTES).toString())
        .contains("700 more not listed here (1200 in all)");
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(out).length)
        .isLessThan(512 * 1024);
  }

  @Test
  void veryLongNotesAreCappedByTheirSizeToo() {
    String path = "d/".repeat(1000) + "f";
    List<dev.lifeboat.activities.archive.PathNote> notes =
        java.util.stream.IntStream.range(0, 300)
            .mapToObj(i -> new dev.lifeboat.activities.archive.PathNote(path + i, "fifo"))
            .toList();
    List<dev.lifeboat.activities.archive.PathNote> capped = BackupAction.capped(notes);
    assertThat(capped.size()).isLessThan(300);
    assertThat(capped.get(capped.size() - 1).reason()).contains("300 in all");
  }

  @Test
  void pruneThroughTheDispatcher() throws Exception {
    Repository clocked =
        new Repository(
            tmp.resolve("repo"),
            new Fixtures.TestClock(java.time.Instant.parse("2026-01-01T00:00:00Z")));
    for (int i = 0; i < 3; i++) {
      ActionDispatcher.invoke(
          new BackupAction(clocked), Map.of("path", src.toString(), "source", "nb"), ctx);
    }
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new PruneAction(clocked),
            Map.of("set", "local", "source", "nb", "keepLast", 1, "keepWithin", "30d"),
            ctx);
    // the clock stands still: all three are within 30 days
    assertThat((List<?>) out.get("kept")).hasSize(3);
    assertThat((List<?>) out.get("deleted")).isEmpty();
    Map<String, Object> out2 =
        ActionDispatcher.invoke(
            new PruneAction(clocked), Map.of("set", "local", "source", "nb", "keepLast", 1), ctx);
    assertThat(out2.get("deleted"))
        .isEqualTo(List.of("20260101T000000Z.tar.gz", "20260101T000001Z.tar.gz"));
    assertThat(out2.get("kept")).isEqualTo(List.of("20260101T000002Z.tar.gz"));
  }

  @Test
  void badArgumentsAreInvalidAndSayWhat() throws Exception {
    invalid(
        () -> ActionDispatcher.invoke(new BackupAction(repo), Map.of(), ctx), "'path' is required");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new BackupAction(repo), Map.of("path", src.toString(), "colour", "red"), ctx),
        "colour");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new BackupAction(repo), Map.of("path", src.toString(), "from", "pod"), ctx),
        "needs Kubernetes");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new BackupAction(repo), Map.of("path", src.toString(), "from", "ftp"), ctx),
        "from 'ftp' is unknown (local, pod or pvc)");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new BackupAction(repo), Map.of("path", tmp.resolve("missing").toString()), ctx),
        tmp.resolve("missing").toString());
    invalid(
        () -> ActionDispatcher.invoke(new VerifyAction(repo), Map.of("source", "ghost"), ctx),
        "'ghost'");
    invalid(
        () -> ActionDispatcher.invoke(new VerifyAction(repo), Map.of(), ctx),
        "'source' is required");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new RestoreAction(repo),
                Map.of("path", tmp.resolve("t").toString(), "set", "nowhere", "source", "x"),
                ctx),
        "'nowhere'");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new PruneAction(repo), Map.of("set", "local", "source", "nb"), ctx),
        "keepLast, keepHourly");
    Map<String, Object> badDuration =
        new HashMap<>(Map.of("set", "local", "source", "nb", "keepWithin", "soon"));
    invalid(
        () -> ActionDispatcher.invoke(new PruneAction(repo), badDuration, ctx),
        "'soon' is not a duration");
    invalid(
        () ->
            ActionDispatcher.invoke(
                new PruneAction(repo),
                Map.of("set", "local", "source", "nb", "keepLast", "many"),
                ctx),
        "bad arguments");

    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new BackupAction(repo), Map.of("path", empty.toString()), ctx))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("no regular files")
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("CheckFailed"));
  }

  @Test
  void actionsDeclareTheirArguments() {
    List<Action<?>> actions =
        List.of(
            new BackupAction(repo),
            new VerifyAction(repo),
            new RestoreAction(repo),
            new PruneAction(repo));
    assertThat(actions)
        .extracting(Action::name)
        .containsExactly("backup", "verify", "restore", "prune");
    var registry = new dev.lifeboat.activities.action.ActionRegistry();
    actions.forEach(registry::register);
    assertThat(registry.signatures()).hasSize(4);
  }

  @Test
  void aCancelledRunStopsTheBackup() throws Exception {
    ctx.cancel();
    assertThatThrownBy(
            () ->
                ActionDispatcher.invoke(
                    new BackupAction(repo), Map.of("path", src.toString()), ctx))
        .isInstanceOf(java.util.concurrent.CancellationException.class);
    assertThat(repo.list(null, null)).isEmpty();
  }

  private static void invalid(ThrowingCallable call, String message) {
    assertThatThrownBy(call)
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"));
  }

  @Test
  void aFolderNameThatIsNoSourceNameIsRefusedSuggestingOne() throws Exception {
    for (String[] c :
        new String[][] {
          {"my dir", "source=my-dir"}, {".hidden", "source=hidden"}, {"latest", "source=my-source"}
        }) {
      Path dir = java.nio.file.Files.createDirectories(tmp.resolve(c[0]));
      java.nio.file.Files.writeString(dir.resolve("a.txt"), "a");
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  ActionDispatcher.invoke(
                      new BackupAction(repo), Map.of("path", dir.toString()), ctx))
          .isInstanceOf(dev.lifeboat.activities.action.ActionException.class)
          .hasMessageContaining("source '" + c[0] + "' is not a usable name")
          .hasMessageContaining("taken when no source is given: pass one, e.g. " + c[1]);
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  ActionDispatcher.invoke(
                      new RestoreAction(repo), Map.of("path", dir.toString()), ctx))
          .hasMessageContaining("action 'restore': source '" + c[0] + "'")
          .hasMessageContaining(c[1]);
    }
    // with a source given, the folder's name does not matter
    Path dir = tmp.resolve("my dir");
    Map<String, Object> out =
        ActionDispatcher.invoke(
            new BackupAction(repo), Map.of("path", dir.toString(), "source", "my-dir"), ctx);
    org.assertj.core.api.Assertions.assertThat(out.get("source")).isEqualTo("my-dir");
  }
}
