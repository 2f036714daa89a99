package dev.lifeboat.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command line under bash and measures it from outside, the same way for GNU tar, pigz and a
 * Lifeboat child JVM: wall time around the process, CPU time as the children's user+system time that bash
 * reads from its own {@code /proc/$$/stat} after it reaped them, and peak RSS from polling {@code VmHWM} in
 * {@code /proc/<pid>/status} of every process below bash (summed over the processes of a pipeline).
 *
 * <p>The polling itself must stay off the measured cores: listing the descendants walks all of {@code /proc},
 * and doing that every 10 ms cost this JVM 10-60 % of a core during every row (most in the first rows, while
 * it compiled), on a 2-core machine. So the process list is taken every {@link #LIST_MILLIS} and the known
 * processes' high-water marks read every {@link #POLL_MILLIS}; {@code VmHWM} only grows, so a peak is still
 * seen unless it comes in the last poll interval of a process.
 */
final class ProcessMeter {
  /** One measured run; {@code stdout} is what the command printed. */
  record Sample(double wallSeconds, double cpuSeconds, long peakRssKb, long maxSingleRssKb, String stdout) { }

  private static final long POLL_MILLIS = 50;
  private static final long LIST_MILLIS = 250;
  private static final long CLOCK_TICKS = clockTicks();

  private ProcessMeter() { }

  static Sample run(String commandLine, Path scratch) throws IOException, InterruptedException {
    Path statFile = Files.createTempFile(scratch, "stat", ".txt");
    Path out = Files.createTempFile(scratch, "out", ".txt");
    Path err = Files.createTempFile(scratch, "err", ".txt");
    // 'read' is a builtin: no extra child runs before bash reads its children's CPU totals.
    String script = "set -o pipefail\n" + commandLine + "\nrc=$?\nread -r s < /proc/$$/stat\n"
        + "printf '%s\\n' \"$s\" > '" + statFile + "'\nexit $rc\n";
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script)
        .redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("LC_ALL", "C.UTF-8");
    // no operation pays for the write-back of the one before it
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    long start = System.nanoTime();
    Process p = pb.start();
    Map<Long, Long> peaks = new HashMap<>();
    List<Long> known = List.of();
    long listed = 0;
    // the first look comes early: a short command may be gone before the first full interval
    long wait = 5;
    while (!p.waitFor(wait, TimeUnit.MILLISECONDS)) {
      wait = POLL_MILLIS;
      long now = System.nanoTime();
      if (known.isEmpty() || now - listed >= LIST_MILLIS * 1_000_000) {
        known = p.descendants().map(ProcessHandle::pid).toList();
        listed = now;
      }
      for (long pid : known) {
        long hwm = vmHwmKb(pid);
        if (hwm > 0) {
          peaks.merge(pid, hwm, Math::max);
        }
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("command failed (exit " + p.exitValue() + "): " + commandLine + "\n" + stderr);
    }
    List<String> stat = List.of(Files.readString(statFile).trim().substring(
        Files.readString(statFile).lastIndexOf(')') + 2).split(" "));
    // fields 16 and 17 of /proc/pid/stat (cutime, cstime); the list starts at field 3
    double cpu = (Long.parseLong(stat.get(13)) + Long.parseLong(stat.get(14))) / (double) CLOCK_TICKS;
    Files.deleteIfExists(statFile);
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    long sum = peaks.values().stream().mapToLong(Long::longValue).sum();
    long max = peaks.values().stream().mapToLong(Long::longValue).max().orElse(0);
    return new Sample(wall, cpu, sum, max, stdout);
  }

  private static long vmHwmKb(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between listing and reading
    }
    return 0;
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      return Long.parseLong(s);
    } catch (IOException | InterruptedException | NumberFormatException e) {
      return 100;
    }
  }
}
