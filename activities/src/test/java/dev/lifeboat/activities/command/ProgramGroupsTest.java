package dev.lifeboat.activities.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No orphans: real children with a grandchild, ended as a group on cancel, timeout and after a
 * crash.
 */
class ProgramGroupsTest {
  @TempDir Path dir;

  private ProgramRunner runner(Path runDir) {
    return ProgramRunner.fromEnvironment()
        .withGroups(ProgramGroups.recordedIn(runDir).withGrace(Duration.ofSeconds(2)));
  }

  /** sh starts a grandchild and waits; the argv writes the grandchild's pid to a file. */
  private List<String> shWithGrandchild(Path pidFile) {
    return List.of("sh", "-c", "sleep 300 & echo $! > " + pidFile + "; wait");
  }

  @Test
  void childIsItsOwnGroupLeaderAndHasAPidFileWhileItRuns() throws Exception {
    Path runDir = dir.resolve("run/programs");
    Path pidFile = dir.resolve("grandchild.pid");
    LocalActionContext context = new LocalActionContext("cmd");
    CompletableFuture<ProgramResult> running =
        start(runner(runDir), shWithGrandchild(pidFile), Duration.ofMinutes(1), context);
    long grandchild = awaitPid(pidFile);
    long child = stat(grandchild).ppid();
    assertThat(stat(child).pgrp()).as("the child leads its own group").isEqualTo(child);
    assertThat(stat(grandchild).pgrp()).isEqualTo(child);
    assertThat(stat(child).pgrp()).isNotEqualTo(stat(ProcessHandle.current().pid()).pgrp());
    Path record = runDir.resolve(child + ".json");
    assertThat(record).exists();
    assertThat(Files.readString(record))
        .contains("\"pgid\":" + child)
        .contains("\"program\":\"sh\"")
        .contains("\"owner\":" + ProcessHandle.current().pid())
        .contains("\"startTime\":" + ProgramGroups.startTicks(child).getAsLong());
    context.cancel();
    assertThatThrownBy(() -> running.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CancellationException.class);
    assertThat(record).doesNotExist();
  }

  @Test
  void cancelEndsChildAndGrandchild() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    LocalActionContext context = new LocalActionContext("cmd");
    CompletableFuture<ProgramResult> running =
        start(
            runner(dir.resolve("run")), shWithGrandchild(pidFile), Duration.ofMinutes(1), context);
    long grandchild = awaitPid(pidFile);
    long child = stat(grandchild).ppid();
    context.cancel();
    assertThatThrownBy(() -> running.get(20, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CancellationException.class);
    awaitGone(child, grandchild);
  }

  @Test
  void timeoutEndsChildAndGrandchild() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    CompletableFuture<ProgramResult> running =
        start(
            runner(dir.resolve("run")),
            shWithGrandchild(pidFile),
            Duration.ofSeconds(2),
            new LocalActionContext("cmd"));
    long grandchild = awaitPid(pidFile);
    long child = stat(grandchild).ppid();
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ActionException.class)
        .hasMessageContaining("did not finish within 2.0s and was killed");
    awaitGone(child, grandchild);
  }

  @Test
  void aServerStopEndsEveryRunningGroup() throws Exception {
    Path runDir = dir.resolve("run/programs");
    Path pidFile = dir.resolve("grandchild.pid");
    CompletableFuture<ProgramResult> running =
        start(
            runner(runDir),
            shWithGrandchild(pidFile),
            Duration.ofMinutes(1),
            new LocalActionContext("cmd"));
    long grandchild = awaitPid(pidFile);
    long child = stat(grandchild).ppid();

    ProgramGroups.endAll(); // what the shutdown hook and the managed runtime's stop call

    assertThat(running.get(20, TimeUnit.SECONDS).exitCode()).as("ended by SIGTERM").isNotZero();
    awaitGone(child, grandchild);
    assertThat(runDir.resolve(child + ".json")).doesNotExist();
  }

  @Test
  void aGrandchildLeftBehindByANormalExitIsEnded() throws Exception {
    Path pidFile = dir.resolve("grandchild.pid");
    ProgramResult result =
        runner(dir.resolve("run"))
            .run(
                Invocation.of(
                    List.of("sh", "-c", "sleep 300 > /dev/null 2>&1 & echo $! > " + pidFile),
                    Duration.ofMinutes(1)),
                new LocalActionContext("cmd"));
    assertThat(result.exitCode()).isZero();
    awaitGone(Long.parseLong(Files.readString(pidFile).trim()));
  }

  @Test
  void afterACrashTheNextStartEndsTheLeftGroupButNeverAReusedPid() throws Exception {
    Path runDir = dir.resolve("run/programs");
    Files.createDirectories(runDir);
    // what a killed server leaves: a real group (started with setsid, like the runner does) and its
    // pid
    // file naming a dead owner
    Path pidFile = dir.resolve("grandchild.pid");
    Process left =
        new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & echo $! > " + pidFile + "; wait")
            .start();
    long grandchild = awaitPid(pidFile);
    long leader = left.pid();
    assertThat(stat(leader).pgrp()).isEqualTo(leader);
    long deadOwner = deadPid();
    writeRecord(runDir, leader, ProgramGroups.startTicks(leader).getAsLong(), "sh", deadOwner);

    // an unrelated process whose pid a stale file names, with another start time: never touched
    Process unrelated = new ProcessBuilder("setsid", "sleep", "300").start();
    awaitTrue(() -> stat(unrelated.pid()).pgrp() == unrelated.pid());
    writeRecord(
        runDir,
        unrelated.pid(),
        ProgramGroups.startTicks(unrelated.pid()).getAsLong() - 1,
        "rclone",
        deadOwner);
    try {
      List<ProgramGroups.Leftover> reaped =
          ProgramGroups.recordedIn(runDir).withGrace(Duration.ofSeconds(2)).reapLeftovers();

      assertThat(reaped)
          .extracting(ProgramGroups.Leftover::pgid, ProgramGroups.Leftover::ended)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple(leader, true),
              org.assertj.core.groups.Tuple.tuple(unrelated.pid(), false));
      left.waitFor(10, TimeUnit.SECONDS);
      awaitGone(leader, grandchild);
      assertThat(unrelated.isAlive()).as("a reused pid is not ours to kill").isTrue();
      try (var files = Files.list(runDir)) {
        assertThat(files).isEmpty();
      }
    } finally {
      unrelated.destroyForcibly();
      left.destroyForcibly();
    }
  }

  @Test
  void aProgramWhosePidFileWasNeverWrittenIsFoundByTheMarkInItsEnvironment() throws Exception {
    // a server killed between starting a program and writing its pid file: no record, and the run
    // directory may not even exist yet
    Path runDir = dir.resolve("never-made/programs");
    long deadOwner = deadPid();
    Path pidFile = dir.resolve("grandchild.pid");
    ProcessBuilder leftBuilder =
        new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & echo $! > " + pidFile + "; wait");
    leftBuilder.environment().put(ProgramGroups.OWNER_VARIABLE, deadOwner + ":77:" + runDir);
    Process left = leftBuilder.start();
    long grandchild = awaitPid(pidFile);
    // the same dead owner, another server's run directory: not this server's to end
    ProcessBuilder elsewhere = new ProcessBuilder("setsid", "sleep", "300");
    elsewhere
        .environment()
        .put(ProgramGroups.OWNER_VARIABLE, deadOwner + ":77:" + dir.resolve("other/programs"));
    Process other = elsewhere.start();
    // a live owner: its server ends its own programs
    Process owner = new ProcessBuilder("sleep", "300").start();
    ProcessBuilder liveBuilder = new ProcessBuilder("setsid", "sleep", "300");
    liveBuilder
        .environment()
        .put(
            ProgramGroups.OWNER_VARIABLE,
            owner.pid() + ":" + ProgramGroups.startTicks(owner.pid()).getAsLong() + ":" + runDir);
    Process live = liveBuilder.start();
    try {
      awaitTrue(() -> stat(other.pid()).pgrp() == other.pid());
      awaitTrue(() -> stat(live.pid()).pgrp() == live.pid());
      List<ProgramGroups.Leftover> reaped =
          ProgramGroups.recordedIn(runDir).withGrace(Duration.ofSeconds(2)).reapLeftovers();
      assertThat(reaped)
          .extracting(ProgramGroups.Leftover::pgid, ProgramGroups.Leftover::ended)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(left.pid(), true));
      left.waitFor(10, TimeUnit.SECONDS);
      awaitGone(left.pid(), grandchild);
      assertThat(other.isAlive()).as("another run directory's program").isTrue();
      assertThat(live.isAlive()).as("a live server's program").isTrue();
    } finally {
      left.destroyForcibly();
      other.destroyForcibly();
      live.destroyForcibly();
      owner.destroyForcibly();
    }
  }

  @Test
  void everyProgramCarriesItsServersMark() throws Exception {
    Path out = dir.resolve("env.txt");
    ProgramResult r =
        runner(dir.resolve("run/programs"))
            .run(
                Invocation.of(
                    List.of(
                        "sh", "-c", "printf %s \"$" + ProgramGroups.OWNER_VARIABLE + "\" > " + out),
                    Duration.ofSeconds(30)),
                new LocalActionContext("cmd"));
    assertThat(r.exitCode()).isZero();
    assertThat(Files.readString(out))
        .isEqualTo(
            ProcessHandle.current().pid()
                + ":"
                + ProgramGroups.startTicks(ProcessHandle.current().pid()).getAsLong()
                + ":"
                + dir.resolve("run/programs").toAbsolutePath().normalize());
  }

  @Test
  void aPidFileOfALiveOwnerIsLeftAlone() throws Exception {
    Path runDir = dir.resolve("run/programs");
    Files.createDirectories(runDir);
    Process other = new ProcessBuilder("setsid", "sleep", "300").start();
    Process owner = new ProcessBuilder("sleep", "300").start();
    try {
      awaitTrue(() -> stat(other.pid()).pgrp() == other.pid());
      writeRecord(
          runDir,
          other.pid(),
          ProgramGroups.startTicks(other.pid()).getAsLong(),
          "ansible-playbook",
          owner.pid(),
          ProgramGroups.startTicks(owner.pid()).getAsLong());
      assertThat(ProgramGroups.recordedIn(runDir).reapLeftovers()).isEmpty();
      assertThat(other.isAlive()).isTrue();
      assertThat(runDir.resolve(other.pid() + ".json")).exists();
    } finally {
      other.destroyForcibly();
      owner.destroyForcibly();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void writeRecord(
      Path runDir, long pgid, long startTime, String program, long owner) throws IOException {
    writeRecord(runDir, pgid, startTime, program, owner, 1);
  }

  private static void writeRecord(
      Path runDir, long pgid, long startTime, String program, long owner, long ownerStart)
      throws IOException {
    Files.writeString(
        runDir.resolve(pgid + ".json"),
        "{\"pgid\":"
            + pgid
            + ",\"startTime\":"
            + startTime
            + ",\"program\":\""
            + program
            + "\",\"owner\":"
            + owner
            + ",\"ownerStartTime\":"
            + ownerStart
            + "}");
  }

  /** A pid no process has now (that of a process that already ended). */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  private static CompletableFuture<ProgramResult> start(
      ProgramRunner runner, List<String> argv, Duration timeout, LocalActionContext context) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return runner.run(Invocation.of(argv, timeout), context);
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        });
  }

  private static long awaitPid(Path file) throws Exception {
    awaitTrue(
        () -> {
          try {
            return Files.exists(file) && Files.readString(file).endsWith("\n");
          } catch (IOException e) {
            return false;
          }
        });
    return Long.parseLong(Files.readString(file).trim());
  }

  private static void awaitGone(long... pids) throws Exception {
    for (long pid : pids) {
      awaitTrue(() -> !running(pid));
      assertThat(running(pid)).as("process %d still runs", pid).isFalse();
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  /** Alive and not a zombie (a killed orphan may wait for a reaper in a container). */
  static boolean running(long pid) {
    Stat s = stat(pid);
    return s != null && !s.state().equals("Z");
  }

  record Stat(String state, long ppid, long pgrp) {}

  static Stat stat(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return new Stat(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]));
    } catch (IOException e) {
      return null;
    }
  }
}
