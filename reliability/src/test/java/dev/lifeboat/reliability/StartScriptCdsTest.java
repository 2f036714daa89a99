package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/start.sh, as the README runs it: the server's first start records a class-data archive
 * when it stops, the next start maps it, and an archive the JVM cannot map is recorded again
 * instead of being passed on start after start; the JIT policy it gives (scripts/jit-flags.sh).
 */
class StartScriptCdsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  @TempDir Path tmp;

  @Test
  void theFirstStartRecordsTheArchiveTheNextMapsAndABrokenOneIsRecordedAgain() throws Exception {
    Map<String, String> env = new HashMap<>(TemporalDevServer.sharedLifeboatEnv());
    Path data = tmp.resolve("data");
    env.put("LIFEBOAT_DATA", data.toString());
    env.put("LIFEBOAT_PORT", String.valueOf(LifeboatProcess.freePort()));

    assertThat(startAndStop(env, "first"))
        .contains("-XX:ArchiveClassesAtExit=")
        // the JIT policy where libcrypto is installed, as the build installs it here
        .contains(" -XX:TieredStopAtLevel=1 ")
        // out of memory, the server exits instead of living on with killed threads
        .contains("-XX:+ExitOnOutOfMemoryError")
        .doesNotContain("CompilerDirectivesFile");
    List<Path> archives = archives(data);
    assertThat(archives).hasSize(1);
    assertThat(Files.size(archives.get(0))).isGreaterThan(1 << 20);

    assertThat(startAndStop(env, "second"))
        .contains("-XX:SharedArchiveFile=" + archives.get(0))
        .doesNotContain("ArchiveClassesAtExit");

    // as if the first start had been killed while the archive was written
    Files.writeString(archives.get(0), "not an archive");
    assertThat(startAndStop(env, "third")).contains("-XX:ArchiveClassesAtExit=");
    assertThat(Files.size(archives(data).get(0))).isGreaterThan(1 << 20);

    // the policy for a machine without libcrypto, with the file from this checkout (the JVM runs in
    // its root)
    env.put("LIFEBOAT_JIT", "directives");
    assertThat(startAndStop(env, "fourth"))
        .contains(
            "-XX:CompilerDirectivesFile=scripts/jit-directives.json -XX:+DisplayVMOutputToStderr ")
        .doesNotContain("TieredStopAtLevel");

    env.put("LIFEBOAT_CDS", "off");
    env.put("LIFEBOAT_JIT", "off");
    assertThat(startAndStop(env, "fifth"))
        .doesNotContain("Archive")
        .doesNotContain("CompilerDirectivesFile")
        .doesNotContain("TieredStopAtLevel");
  }

  /**
   * A second start with the same data folder while the server runs is refused before it writes
   * anything: it used to put its own pid in lifeboat.pid, fail to bind the port, and leave
   * scripts/stop.sh unable to find the server that runs.
   */
  @Test
  void aSecondStartOfARunningServerIsRefusedAndStopStillStopsTheFirst() throws Exception {
    Map<String, String> env = new HashMap<>(TemporalDevServer.sharedLifeboatEnv());
    Path data = tmp.resolve("data");
    env.put("LIFEBOAT_DATA", data.toString());
    env.put("LIFEBOAT_PORT", String.valueOf(LifeboatProcess.freePort()));
    env.put("LIFEBOAT_CDS", "off");
    Path log = tmp.resolve("first.log");
    ProcessBuilder first =
        new ProcessBuilder("bash", "scripts/start.sh", "server")
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    first.environment().putAll(env);
    Process p = first.start();
    try {
      waitForApi(Integer.parseInt(env.get("LIFEBOAT_PORT")), p, log);
      Path pidFile = data.resolve("run/lifeboat.pid");
      String pid = Files.readString(pidFile).trim();
      ProcessBuilder second =
          new ProcessBuilder("bash", "scripts/start.sh", "server")
              .directory(ROOT.toFile())
              .redirectErrorStream(true);
      second.environment().putAll(env);
      Process q = second.start();
      String out = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(q.exitValue()).as(out).isEqualTo(1);
      assertThat(out).contains("Lifeboat is already running (pid " + pid + ")");
      assertThat(Files.readString(pidFile).trim()).isEqualTo(pid);
      assertThat(p.isAlive()).isTrue();
    } finally {
      ProcessBuilder stop =
          new ProcessBuilder("bash", "scripts/stop.sh").directory(ROOT.toFile()).inheritIO();
      stop.environment().putAll(env);
      assertThat(stop.start().waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stop.sh stopped the first server").isTrue();
  }

  /** Starts the server with scripts/start.sh, waits for its API, stops it; its command line. */
  private String startAndStop(Map<String, String> env, String name) throws Exception {
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "scripts/start.sh", "server")
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    String cmdline;
    try {
      waitForApi(Integer.parseInt(env.get("LIFEBOAT_PORT")), p, log);
      long pid =
          Long.parseLong(
              Files.readString(Path.of(env.get("LIFEBOAT_DATA"), "run", "lifeboat.pid")).trim());
      cmdline =
          Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline")).replace('\0', ' ');
    } finally {
      ProcessBuilder stop =
          new ProcessBuilder("bash", "scripts/stop.sh").directory(ROOT.toFile()).inheritIO();
      stop.environment().putAll(env);
      assertThat(stop.start().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the server stopped").isTrue();
    }
    return cmdline;
  }

  private static void waitForApi(int port, Process p, Path log) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "scripts/start.sh ended: " + Files.readString(log, StandardCharsets.UTF_8));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      LifeboatProcess.pause(200);
    }
    throw new AssertionError("no answer on port " + port + ": " + Files.readString(log));
  }

  private static List<Path> archives(Path data) throws IOException {
    try (Stream<Path> s = Files.list(data.resolve("run"))) {
      return s.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
    }
  }
}
