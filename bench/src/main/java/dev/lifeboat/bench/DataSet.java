package dev.lifeboat.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A reproducible notebook-like source tree: many small JSON/text files under non-ASCII directory names, some
 * medium CSV/JSONL files and a few large checkpoints, mostly float32 weights. The same seed and size give the
 * same bytes, names and times, so runs on different commits compare like with like.
 */
final class DataSet {
  /** What was generated. */
  record Stats(long seed, long targetBytes, long files, long dirs, long bytes, long smallFiles, long smallBytes,
      long mediumFiles, long mediumBytes, long largeFiles, long largeBytes) { }

  private static final String[] PROJECTS = {"Überprüfung", "数据分析", "café-experiments", "Ελληνικά-nlp",
      "résumé-parser", "naïve-bayes", "模型训练", "проект-α", "baseline", "ml-ops"};
  private static final String[] WORDS = ("the model loss epoch accuracy gradient tensor dataset feature label "
      + "train validation test batch layer weight bias optimizer learning rate dropout embedding attention "
      + "token sequence vector matrix mean variance sample pipeline import numpy pandas torch plot figure "
      + "größe über café naïve 数据 模型 训练 данные модель σφάλμα ошибка résultat").split(" ");
  private static final Instant MTIME = Instant.parse("2026-01-15T09:30:00Z");

  private final SplittableRandom random;
  private final List<Path> written = new ArrayList<>();
  private long files;
  private long dirs;

  private DataSet(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** What {@link #mutate} changed: {@code files} of {@code of} files, {@code bytes} bytes appended. */
  record Mutation(int files, int of, long bytes) { }

  /**
   * Changes a {@code fraction} of the files, picked from the seed, as a day of work would: 4 KiB appended to
   * each and a new mtime. The rest stays untouched (same inode, ctime, mtime).
   */
  /**
   * {@code n} files of 10-60 bytes (a line of Python each) in folders of 1,000 under 20 packages, all with one
   * time; returns their bytes.
   */
  static long smallFiles(Path root, int n, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      int folder = i / 1000;
      Path dir = root.resolve("pkg" + folder % 20).resolve("mod" + folder);
      if (i % 1000 == 0) {
        Files.createDirectories(dir);
      }
      StringBuilder line = new StringBuilder("x_").append(i).append(" = ");
      int digits = 1 + random.nextInt(40);
      for (int d = 0; d < digits; d++) {
        line.append((char) ('0' + random.nextInt(10)));
      }
      byte[] data = line.append('\n').toString().getBytes(StandardCharsets.UTF_8);
      Path f = dir.resolve("f" + i % 1000 + ".py");
      Files.write(f, data);
      Files.setLastModifiedTime(f, FileTime.from(MTIME));
      bytes += data.length;
    }
    return bytes;
  }

  static Mutation mutate(Path root, double fraction, long seed) throws IOException {
    List<Path> files;
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      files = s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
    java.util.Random random = new java.util.Random(seed);
    List<Path> shuffled = new java.util.ArrayList<>(files);
    java.util.Collections.shuffle(shuffled, random);
    int n = Math.max(1, (int) Math.round(files.size() * fraction));
    StringBuilder text = new StringBuilder();
    while (text.length() < 4096) {
      text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
    }
    byte[] more = java.util.Arrays.copyOf(text.toString().getBytes(StandardCharsets.UTF_8), 4096);
    for (Path p : shuffled.subList(0, n)) {
      Files.write(p, more, java.nio.file.StandardOpenOption.APPEND);
      Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.from(MTIME.plusSeconds(86_400)));
    }
    return new Mutation(n, files.size(), (long) n * more.length);
  }

  static Stats generate(Path root, long targetBytes, long seed) throws IOException {
    return new DataSet(seed).write(root, targetBytes, seed);
  }

  private Stats write(Path root, long targetBytes, long seed) throws IOException {
    // the engine issue's tree: 1 GB of float32 weights in 1.6 GB, beside notebooks and CSVs
    long smallBudget = targetBytes * 12 / 100;
    long mediumBudget = targetBytes * 26 / 100;
    long largeBudget = targetBytes - smallBudget - mediumBudget;

    long smallBytes = 0;
    long smallFiles = 0;
    int n = 0;
    while (smallBytes < smallBudget) {
      String project = PROJECTS[n % PROJECTS.length];
      Path dir = root.resolve("notebooks").resolve(project).resolve("session-" + (n / 40 % 25));
      String name = switch (n % 4) {
        case 0 -> "analyse-" + n + ".ipynb";
        case 1 -> "notes-" + n + "-größe.md";
        case 2 -> "step_" + n + ".py";
        default -> "config-" + n + ".json";
      };
      byte[] content = (n % 4 == 0 ? notebook(512 + random.nextInt(24 * 1024)) : text(256 + random.nextInt(8 * 1024)))
          .getBytes(StandardCharsets.UTF_8);
      file(dir.resolve(name), content);
      smallBytes += content.length;
      smallFiles++;
      n++;
    }

    long mediumBytes = 0;
    long mediumFiles = 0;
    for (int i = 0; mediumBytes < mediumBudget; i++) {
      long size = Math.min(mediumBudget - mediumBytes, (512 + random.nextInt(7 * 1024)) * 1024L);
      Path f = root.resolve("data").resolve(i % 2 == 0 ? "messwerte-" + i + ".csv" : "events-" + i + ".jsonl");
      try (OutputStream out = open(f)) {
        csv(out, size, i % 2 == 0);
      }
      mediumBytes += size;
      mediumFiles++;
    }

    int largeCount = 3;
    long largeBytes = 0;
    for (int i = 0; i < largeCount; i++) {
      long size = largeBudget / largeCount;
      try (OutputStream out = open(root.resolve("checkpoints").resolve("model-epoch-" + (i + 1) + ".ckpt"))) {
        checkpoint(out, size);
      }
      largeBytes += size;
    }
    fixTimes(root);
    return new Stats(seed, targetBytes, files, dirs, smallBytes + mediumBytes + largeBytes, smallFiles, smallBytes,
        mediumFiles, mediumBytes, largeCount, largeBytes);
  }

  private String notebook(int approxBytes) {
    StringBuilder sb = new StringBuilder("{\n \"cells\": [\n");
    while (sb.length() < approxBytes) {
      boolean code = random.nextBoolean();
      sb.append("  {\"cell_type\": \"").append(code ? "code" : "markdown").append("\", \"execution_count\": ")
          .append(random.nextInt(200)).append(", \"source\": [\"").append(sentence(8 + random.nextInt(30)))
          .append("\"], \"outputs\": [{\"text\": \"").append(code ? number() + " " + number() : "")
          .append("\"}]},\n");
    }
    return sb.append("  {}\n ],\n \"metadata\": {\"kernelspec\": {\"name\": \"python3\"}},\n \"nbformat\": 4\n}\n")
        .toString();
  }

  private String text(int approxBytes) {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < approxBytes) {
      sb.append(sentence(5 + random.nextInt(20))).append(random.nextInt(5) == 0 ? "\n\n" : "\n");
    }
    return sb.toString();
  }

  private String sentence(int words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }

  private String number() {
    return String.format("%.6f", random.nextDouble() * 100);
  }

  private void csv(OutputStream out, long size, boolean csv) throws IOException {
    StringBuilder sb = new StringBuilder(64 * 1024 + 512);
    long written = 0;
    long row = 0;
    while (written < size) {
      sb.setLength(0);
      while (sb.length() < 64 * 1024) {
        if (csv) {
          sb.append(row).append(',').append(1700000000L + row * 60).append(',').append(random.nextInt(1000) / 10.0)
              .append(',').append(random.nextDouble()).append(',').append(WORDS[random.nextInt(WORDS.length)])
              .append('\n');
        } else {
          sb.append("{\"id\": ").append(row).append(", \"event\": \"").append(WORDS[random.nextInt(WORDS.length)])
              .append("\", \"value\": ").append(random.nextDouble()).append("}\n");
        }
        row++;
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      int len = (int) Math.min(b.length, size - written);
      out.write(b, 0, len);
      written += len;
    }
  }

  /**
   * Blocks of float32 weights (normal around zero, as trained layers and their optimiser state are:
   * random mantissas, few exponents, ~7 % compressible), and a few of 4-bit quantised weights
   * (repeats deflate finds), noise (incompressible) and zeros.
   */
  private void checkpoint(OutputStream out, long size) throws IOException {
    byte[] block = new byte[64 * 1024];
    long written = 0;
    while (written < size) {
      int kind = random.nextInt(20);
      if (kind < 17) {
        for (int i = 0; i < block.length; i += 4) {
          int v = Float.floatToIntBits((float) (random.nextGaussian() * 0.02));
          for (int j = 0; j < 4; j++) {
            block[i + j] = (byte) (v >>> (8 * j));
          }
        }
      } else if (kind < 18) {
        for (int i = 0; i < block.length; i += 8) {
          long v = random.nextLong();
          for (int j = 0; j < 8; j++) {
            block[i + j] = (byte) (v >>> (8 * j));
          }
        }
      } else if (kind < 19) {
        for (int i = 0; i < block.length; i += 4) {
          long v = random.nextLong();
          block[i] = (byte) (v & 0x0f);
          block[i + 1] = (byte) ((v >>> 8) & 0x03);
          block[i + 2] = 0x3f;
          block[i + 3] = (byte) ((v >>> 16) & 0x80);
        }
      } else {
        java.util.Arrays.fill(block, (byte) 0);
      }
      int len = (int) Math.min(block.length, size - written);
      out.write(block, 0, len);
      written += len;
    }
  }

  private void file(Path f, byte[] content) throws IOException {
    try (OutputStream out = open(f)) {
      out.write(content);
    }
  }

  private OutputStream open(Path f) throws IOException {
    Path parent = f.getParent();
    if (!Files.isDirectory(parent)) {
      Files.createDirectories(parent);
    }
    files++;
    written.add(f);
    return new BufferedOutputStream(Files.newOutputStream(f), 256 * 1024);
  }

  private void fixTimes(Path root) throws IOException {
    for (Path f : written) {
      Files.setLastModifiedTime(f, FileTime.from(MTIME));
    }
    List<Path> all;
    try (var s = Files.walk(root)) {
      all = s.filter(Files::isDirectory).toList();
    }
    dirs = all.size() - 1;
    for (Path d : all) {
      Files.setLastModifiedTime(d, FileTime.from(MTIME));
    }
  }
}
