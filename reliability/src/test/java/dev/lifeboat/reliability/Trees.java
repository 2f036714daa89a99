package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Source trees for the fault tests, and the outside checks a user would make: diff -r, tar, ls. */
final class Trees {
  private Trees() {}

  /**
   * Incompressible bytes, fast: gzip cannot shrink them, so the archive takes as long as the data.
   */
  static Path randomFile(Path file, long bytes, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= block.length) {
        for (int i = 0; i < block.length; i += 8) {
          long v = random.nextLong();
          for (int b = 0; b < 8; b++) {
            block[i + b] = (byte) (v >>> (8 * b));
          }
        }
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
    return file;
  }

  /**
   * Random hex text: deflate must work on it (it halves, so it is not stored as noise is), which
   * makes archiving it take seconds, long enough to kill or change a backup midway.
   */
  static Path randomText(Path file, long bytes, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    SplittableRandom random = new SplittableRandom(seed);
    byte[] hex = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] block = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= block.length) {
        for (int i = 0; i < block.length; i += 16) {
          long v = random.nextLong();
          for (int b = 0; b < 16; b++) {
            block[i + b] = hex[(int) (v >>> (4 * b)) & 0xf];
          }
        }
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
    return file;
  }

  /** {@code count} files of {@link #randomText}. */
  static Path bigTextTree(Path dir, int count, long each, long seed) throws IOException {
    for (int i = 0; i < count; i++) {
      randomText(dir.resolve(String.format("part-%03d.txt", i)), each, seed + i);
    }
    return dir;
  }

  /** A small tree: a few text files in nested folders, different for each seed. */
  static Path smallTree(Path dir, long seed) throws IOException {
    Files.createDirectories(dir.resolve("notebooks/old"));
    Files.writeString(dir.resolve("README.txt"), "tree " + seed + "\n");
    Files.writeString(dir.resolve("notebooks/train.ipynb"), "{\"cells\": [" + seed + "]}\n");
    Files.writeString(dir.resolve("notebooks/old/eval.py"), "print(" + seed + ")\n");
    randomFile(dir.resolve("weights.bin"), 64 * 1024, seed);
    return dir;
  }

  /** {@code count} random files of {@code each} bytes under {@code dir}. */
  static Path bigTree(Path dir, int count, long each, long seed) throws IOException {
    for (int i = 0; i < count; i++) {
      randomFile(dir.resolve(String.format("part-%03d.bin", i)), each, seed + i);
    }
    return dir;
  }

  /** Asserts GNU diff finds no difference between the two trees. */
  static void assertSameTree(Path expected, Path actual) {
    Result r = run("diff", "-r", "--no-dereference", expected.toString(), actual.toString());
    assertThat(r.exit()).as("diff -r %s %s:\n%s", expected, actual, r.output()).isZero();
  }

  /** Everything in the folder and below, as paths relative to it. */
  static List<String> listAll(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  /** Leftovers of an interrupted write: partial archives and sidecars, temp files. */
  static List<String> partials(Path dir) throws IOException {
    return listAll(dir).stream().filter(n -> n.endsWith(".partial") || n.endsWith(".tmp")).toList();
  }

  static void append(Path file, byte[] bytes) throws IOException {
    Files.write(file, bytes, StandardOpenOption.APPEND);
  }

  /** A program's exit code and its combined output. */
  record Result(int exit, String output) {}

  static Result run(String... argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", argv) + " did not end within 120 s");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new AssertionError("cannot run " + argv[0] + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** True while the process exists and is not a zombie waiting for its parent to reap it. */
  static boolean running(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // the state is the first field after the parenthesised command name
      String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return !state.equals("Z") && !state.equals("X");
    } catch (IOException e) {
      return false;
    }
  }

  static List<String> names(List<com.fasterxml.jackson.databind.JsonNode> backups) {
    List<String> out = new ArrayList<>();
    backups.forEach(b -> out.add(b.path("name").asText()));
    return out;
  }
}
