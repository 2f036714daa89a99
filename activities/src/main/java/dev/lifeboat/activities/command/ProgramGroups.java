package dev.lifeboat.activities.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process groups of the programs actions start: each child runs in its own session (so it and
 * everything it starts share one group id, its pid), is recorded in a pid file {@code <run
 * dir>/<pgid>.json} while it runs, and is ended as a whole group (SIGTERM, a grace period, SIGKILL)
 * on cancel, timeout and server stop. After a crash, {@link #reapLeftovers} ends the groups a dead
 * server left behind, and only those: the pid's start time and the dead owner are both checked, so
 * a reused pid or another server's program is never touched. Every child also carries its owner in
 * its environment ({@link #OWNER_VARIABLE}, inherited by what it starts): a server killed between
 * starting a program and writing its pid file leaves no record, and the next start finds the
 * program by that mark instead.
 */
public final class ProgramGroups {
  private static final Logger LOG = LoggerFactory.getLogger(ProgramGroups.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

  /**
   * The variable naming the server that started a program: {@code <pid>:<start ticks>:<run dir>}.
   */
  public static final String OWNER_VARIABLE = "LIFEBOAT_OWNER";

  private static final String OWNER =
      ProcessHandle.current().pid() + ":" + startTicks(ProcessHandle.current().pid()).orElse(-1);

  /** This server's mark, for the environment of every program it starts. */
  String ownerMark() {
    return OWNER + ":" + (runDir == null ? "" : runDir.toString());
  }

  /** Every group started by this JVM and still running, for the shutdown hook. */
  private static final Set<ProgramGroup> LIVE = ConcurrentHashMap.newKeySet();

  private static final Thread HOOK = new Thread(ProgramGroups::endAll, "end-program-groups");

  static {
    try {
      Runtime.getRuntime().addShutdownHook(HOOK);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }

  private final Path runDir;
  private final Duration grace;

  private ProgramGroups(Path runDir, Duration grace) {
    this.runDir = runDir;
    this.grace = grace;
  }

  /** Groups whose pid files live in {@code runDir} (created when needed). */
  public static ProgramGroups recordedIn(Path runDir) {
    return new ProgramGroups(runDir.toAbsolutePath().normalize(), DEFAULT_GRACE);
  }

  /** Groups without pid files (tests and tools that have no data directory). */
  public static ProgramGroups unrecorded() {
    return new ProgramGroups(null, DEFAULT_GRACE);
  }

  public ProgramGroups withGrace(Duration grace) {
    return new ProgramGroups(runDir, grace);
  }

  public Optional<Path> runDir() {
    return Optional.ofNullable(runDir);
  }

  /** One started program: its group id, when it started (clock ticks since boot), its pid file. */
  final class ProgramGroup {
    final long pgid;
    final String program;
    private final Path pidFile;
    private final ProcessHandle leader;

    private ProgramGroup(long pgid, String program, Path pidFile, ProcessHandle leader) {
      this.pgid = pgid;
      this.program = program;
      this.pidFile = pidFile;
      this.leader = leader;
    }

    /**
     * SIGTERM to the whole group, up to the grace period for it to go, then SIGKILL; a descendant
     * that left the group (its own setsid) is killed by pid as well.
     */
    void end() {
      List<ProcessHandle> descendants = leader.descendants().toList();
      endGroup(pgid, grace);
      descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    /** The leader is gone and waited for: end what it left in its group, then forget the group. */
    void finished() {
      if (groupAlive(pgid)) {
        endGroup(pgid, grace);
      }
      LIVE.remove(this);
      if (pidFile != null) {
        try {
          Files.deleteIfExists(pidFile);
        } catch (IOException e) {
          LOG.warn("could not remove pid file {}: {}", pidFile, e.getMessage());
        }
      }
    }
  }

  /** Records a just-started child (its own session leader, so pgid == pid). */
  ProgramGroup register(Process process, String program) {
    long pgid = process.pid();
    Path pidFile = null;
    if (runDir != null) {
      try {
        Files.createDirectories(runDir);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("pgid", pgid);
        record.put("startTime", startTicks(pgid).orElse(-1));
        record.put("program", program);
        long owner = ProcessHandle.current().pid();
        record.put("owner", owner);
        record.put("ownerStartTime", startTicks(owner).orElse(-1));
        pidFile = runDir.resolve(pgid + ".json");
        Path tmp = runDir.resolve(pgid + ".json.tmp");
        Files.write(tmp, JSON.writeValueAsBytes(record));
        Files.move(
            tmp, pidFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        // the program still runs and is still ended by this JVM; only crash recovery loses it
        LOG.warn(
            "could not write the pid file of '{}' (pgid {}) in {}: {}",
            program,
            pgid,
            runDir,
            e.getMessage());
        pidFile = null;
      }
    }
    ProgramGroup group = new ProgramGroup(pgid, program, pidFile, process.toHandle());
    LIVE.add(group);
    return group;
  }

  /** Ends every group this JVM started that still runs (server stop, shutdown hook). */
  public static void endAll() {
    List<ProgramGroup> groups = new ArrayList<>(LIVE);
    for (ProgramGroup g : groups) {
      LOG.info("ending '{}' (process group {}) as the server stops", g.program, g.pgid);
      signalGroup(g.pgid, "TERM");
    }
    long deadline = System.nanoTime() + DEFAULT_GRACE.toNanos();
    for (ProgramGroup g : groups) {
      while (groupAlive(g.pgid) && System.nanoTime() < deadline) {
        pause();
      }
      if (groupAlive(g.pgid)) {
        signalGroup(g.pgid, "KILL");
      }
    }
  }

  /** What {@link #reapLeftovers} did with one pid file. */
  public record Leftover(long pgid, String program, boolean ended, String reason) {}

  /**
   * Ends the groups a previous server left running: a pid file whose owner is gone, whose group
   * leader still runs with the recorded start time. A pid file of a live owner (another Lifeboat
   * process sharing the directory) is left alone; a stale one (program gone, or the pid reused by
   * an unrelated process) is removed without killing anything.
   */
  public List<Leftover> reapLeftovers() {
    List<Leftover> out = new ArrayList<>();
    if (runDir == null) {
      return out;
    }
    if (Files.isDirectory(runDir)) {
      reapRecorded(out);
    }
    for (Leftover l : reapMarked()) {
      out.add(l);
      LOG.warn(
          "ended '{}' (process group {}) left running by a previous Lifeboat process, found by its"
              + " environment",
          l.program(),
          l.pgid());
    }
    return out;
  }

  /** The pid-file half of {@link #reapLeftovers}. */
  private void reapRecorded(List<Leftover> out) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir, "*.json")) {
      for (Path file : files) {
        Leftover l = reap(file);
        if (l != null) {
          out.add(l);
          if (l.ended()) {
            LOG.warn(
                "ended '{}' (process group {}) left running by a previous Lifeboat process",
                l.program(),
                l.pgid());
          } else {
            LOG.info(
                "removed stale pid file of '{}' (pgid {}): {}", l.program(), l.pgid(), l.reason());
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("could not read pid files in {}: {}", runDir, e.getMessage());
    }
  }

  /**
   * Ends what carries the mark of a dead server of this run directory in its environment: the
   * groups led by a marked process (a program and all it started), and marked processes outside
   * them one by one, so a group the program did not make (no setsid) is never ended.
   */
  private List<Leftover> reapMarked() {
    List<Leftover> out = new ArrayList<>();
    java.util.Map<Long, String> marked = new java.util.LinkedHashMap<>();
    java.util.Map<Long, Long> groups = new java.util.HashMap<>();
    try (DirectoryStream<Path> procs =
        Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
      for (Path proc : procs) {
        long pid = Long.parseLong(proc.getFileName().toString());
        String mark = mark(proc);
        String[] f = mark == null ? null : stat(proc.resolve("stat"));
        if (f != null && !f[0].equals("Z") && deadOwnerHere(mark)) {
          marked.put(pid, command(proc));
          groups.put(pid, Long.parseLong(f[2]));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not look for programs of a previous Lifeboat process: {}", e.toString());
      return out;
    }
    java.util.Set<Long> ended = new java.util.HashSet<>();
    for (var e : marked.entrySet()) {
      long pid = e.getKey();
      long pgid = groups.get(pid);
      if (marked.containsKey(pgid)) {
        if (ended.add(pgid)) {
          endGroup(pgid, grace);
          out.add(new Leftover(pgid, marked.get(pgid), true, "ended"));
        }
      } else if (ended.add(-pid)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        out.add(new Leftover(pid, e.getValue(), true, "ended"));
      }
    }
    return out;
  }

  /** The {@link #OWNER_VARIABLE} of a process, null if it has none or cannot be read. */
  private static String mark(Path proc) {
    byte[] env;
    try {
      env = Files.readAllBytes(proc.resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
    byte[] key = (OWNER_VARIABLE + "=").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int start = 0;
    for (int i = 0; i <= env.length; i++) {
      if (i == env.length || env[i] == 0) {
        if (i - start > key.length
            && java.util.Arrays.equals(env, start, start + key.length, key, 0, key.length)) {
          return new String(
              env,
              start + key.length,
              i - start - key.length,
              java.nio.charset.StandardCharsets.US_ASCII);
        }
        start = i + 1;
      }
    }
    return null;
  }

  /**
   * Whether a mark names a server of this run directory, other than this one, that no longer runs.
   */
  private boolean deadOwnerHere(String mark) {
    String[] parts = mark.split(":", 3);
    if (parts.length != 3
        || !isNumber(parts[0])
        || !parts[1].matches("-?\\d+")
        || !parts[2].equals(runDir.toString())
        || (parts[0] + ":" + parts[1]).equals(OWNER)) {
      return false;
    }
    long owner = Long.parseLong(parts[0]);
    return !startTicks(owner).equals(OptionalLong.of(Long.parseLong(parts[1])));
  }

  /** The command name of a process, for the log. */
  private static String command(Path proc) {
    try {
      return Files.readString(proc.resolve("comm")).strip();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private Leftover reap(Path file) throws IOException {
    JsonNode record;
    try {
      record = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      Files.deleteIfExists(file);
      return new Leftover(-1, "?", false, "unreadable pid file " + file.getFileName());
    }
    long pgid = record.path("pgid").asLong(-1);
    String program = record.path("program").asText("?");
    long owner = record.path("owner").asLong(-1);
    if (owner > 0
        && owner != ProcessHandle.current().pid()
        && startTicks(owner).equals(OptionalLong.of(record.path("ownerStartTime").asLong(-2)))) {
      return null; // its server is alive and ends its own programs
    }
    if (owner == ProcessHandle.current().pid() && LIVE.stream().anyMatch(g -> g.pgid == pgid)) {
      return null;
    }
    long recorded = record.path("startTime").asLong(-1);
    OptionalLong now = pgid > 1 ? startTicks(pgid) : OptionalLong.empty();
    Leftover result;
    if (now.isEmpty()) {
      result = new Leftover(pgid, program, false, "no longer running");
    } else if (now.getAsLong() != recorded) {
      result =
          new Leftover(pgid, program, false, "pid " + pgid + " now belongs to another process");
    } else {
      endGroup(pgid, grace);
      result = new Leftover(pgid, program, true, "ended");
    }
    Files.deleteIfExists(file);
    return result;
  }

  // ------------------------------------------------------------------ signals and /proc

  static void endGroup(long pgid, Duration grace) {
    // a cancelled action arrives here interrupted: finish ending the group first, then keep the
    // interrupt
    boolean interrupted = Thread.interrupted();
    try {
      signalGroup(pgid, "TERM");
      long deadline = System.nanoTime() + grace.toNanos();
      while (groupAlive(pgid) && System.nanoTime() < deadline) {
        pause();
      }
      if (groupAlive(pgid)) {
        signalGroup(pgid, "KILL");
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** {@code kill -SIG -- -pgid}: the JDK can signal only one process, not a group. */
  static void signalGroup(long pgid, String signal) {
    if (pgid <= 1) {
      return;
    }
    String kill =
        Files.isExecutable(Path.of("/usr/bin/kill"))
            ? "/usr/bin/kill"
            : Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill";
    try {
      Process p =
          new ProcessBuilder(kill, "-" + signal, "--", "-" + pgid)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor();
    } catch (IOException e) {
      LOG.warn("could not signal process group {}: {}", pgid, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether any live (non-zombie) process is in group {@code pgid}. */
  static boolean groupAlive(long pgid) {
    try (DirectoryStream<Path> procs =
        Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
      for (Path proc : procs) {
        String[] f = stat(proc.resolve("stat"));
        if (f != null && !f[0].equals("Z") && Long.parseLong(f[2]) == pgid) {
          return true;
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /**
   * The start time of {@code pid} in clock ticks since boot ({@code /proc/<pid>/stat} field 22).
   */
  static OptionalLong startTicks(long pid) {
    String[] f = stat(Path.of("/proc", Long.toString(pid), "stat"));
    if (f == null || f[0].equals("Z")) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(f[19]));
  }

  /**
   * The fields of a stat file after the command name: [0] state (field 3), [2] pgrp (field 5), ...
   */
  private static String[] stat(Path file) {
    try {
      String s = Files.readString(file);
      return s.substring(s.lastIndexOf(')') + 2).split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean isNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
