package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JIT policy scripts/jit-flags.sh gives scripts/start.sh and the bench: C1 only where
 * libcrypto's SHA-256 is there, else the directives in scripts/jit-directives.json, with which a
 * JVM starts, C2 still compiles SHA-256 and the sampling loop, and nothing else of ours.
 */
class JitDirectivesTest {
  private static final Path FILE = Path.of("../scripts/jit-directives.json").toAbsolutePath();
  private static final Path FLAGS = Path.of("../scripts/jit-flags.sh").toAbsolutePath();

  /** What scripts/jit-flags.sh prints with {@code LIFEBOAT_JIT=mode} (null: unset). */
  private static Fixtures.Run flags(String mode) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", FLAGS.toString());
    pb.environment().remove("LIFEBOAT_JIT");
    if (mode != null) {
      pb.environment().put("LIFEBOAT_JIT", mode);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Fixtures.Run(p.exitValue(), out.strip(), err.strip());
  }

  @Test
  void theDefaultIsC1OnlyWhereLibcryptoHashesAndTheDirectivesWhereNot() throws Exception {
    // the JVM running this test found libcrypto exactly where a started server would
    String expected =
        NativeSha256.AVAILABLE
            ? "-XX:TieredStopAtLevel=1"
            : "-XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile=scripts/jit-directives.json"
                + " -XX:+DisplayVMOutputToStderr";
    assertThat(flags(null).out()).isEqualTo(expected);
    assertThat(flags("on").out()).isEqualTo(expected);
    assertThat(flags("c1").out()).isEqualTo("-XX:TieredStopAtLevel=1");
    assertThat(flags("directives").out()).contains("-XX:CompilerDirectivesFile=scripts/");
    assertThat(flags("off").out()).isEmpty();
    Fixtures.Run bad = flags("--fast");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err()).contains("LIFEBOAT_JIT must be on, c1, directives or off, not '--fast'");
  }

  @Test
  void underC1OnlyNothingIsCompiledByC2() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(flags("c1").out().split(" ")));
    command.addAll(
        List.of(
            "-XX:+PrintCompilation",
            "-cp",
            System.getProperty("java.class.path"),
            Busy.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(compiledAtLevel4(out)).isEmpty();
    assertThat(out)
        .containsPattern("\\s1\\s+" + Pattern.quote(Busy.class.getName() + "::perEntry"));
  }

  @Test
  void everyMethodTheDirectivesNameExists() throws Exception {
    Matcher m =
        Pattern.compile("\"(dev/lifeboat/[\\w/$]+)\\.(\\w+)\"")
            .matcher(Files.readString(FILE, StandardCharsets.UTF_8));
    List<String> named = new ArrayList<>();
    while (m.find()) {
      Class<?> type = Class.forName(m.group(1).replace('/', '.'));
      String method = m.group(2);
      assertThat(Arrays.stream(type.getDeclaredMethods()).map(Method::getName))
          .as("%s names a method of %s", FILE, type.getName())
          .contains(method);
      named.add(method);
    }
    assertThat(named).as("the sampling loop stays with C2").contains("sampleCounts");
  }

  @Test
  void c2CompilesTheByteLoopsAndNothingElseOfOurs() throws Exception {
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:CompilerDirectivesFile=" + FILE,
            "-XX:+PrintCompilation",
            "-cp",
            System.getProperty("java.class.path"),
            Busy.class.getName());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).as("the JVM read the file").contains("compiler directives added");

    List<String> c2 = compiledAtLevel4(out);
    assertThat(c2)
        .as("SHA-256's intrinsic needs C2")
        .anyMatch(s -> s.startsWith("sun.security.provider.SHA2::implCompress"));
    assertThat(c2).contains("dev.lifeboat.activities.archive.Deflate::sampleCounts");
    assertThat(c2)
        .as("per-entry code stays with C1")
        .noneMatch(s -> s.startsWith(Busy.class.getName()))
        .noneMatch(s -> s.startsWith("java.util.HashMap::"));
    // Busy.perEntry ran hot enough for C2 and was compiled by C1's optimising tier instead
    assertThat(out)
        .containsPattern("\\s1\\s+" + Pattern.quote(Busy.class.getName() + "::perEntry"));
  }

  /** Names of the methods compiled at tier 4 (C2) in -XX:+PrintCompilation's output. */
  private static List<String> compiledAtLevel4(String printCompilation) {
    List<String> out = new ArrayList<>();
    Matcher m =
        Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sbn!]*\\s*4\\s+(\\S+)", Pattern.MULTILINE)
            .matcher(printCompilation);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** What the engine does, in small: digests and samples bytes, and runs code per entry. */
  public static final class Busy {
    public static void main(String[] args) throws IOException {
      byte[] piece = new byte[1 << 20];
      new java.util.Random(1).nextBytes(piece);
      MessageDigest sha = Digests.jdkSha256();
      double bits = 0;
      long sum = 0;
      java.util.Map<Integer, Integer> seen = new java.util.HashMap<>();
      for (int i = 0; i < 400; i++) {
        sha.update(piece);
        bits += Deflate.sampleEntropy(piece, i, piece.length - i);
      }
      for (int i = 0; i < 2_000_000; i++) {
        sum += perEntry(i, seen);
      }
      System.out.println(Digests.hex(sha.digest()) + " " + bits + " " + sum);
    }

    static int perEntry(int i, java.util.Map<Integer, Integer> seen) {
      seen.merge(i & 1023, 1, Integer::sum);
      return Integer.toString(i).length();
    }
  }
}
