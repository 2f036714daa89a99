package dev.lifeboat.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifeboat.activities.archive.ArchiveRef;
import dev.lifeboat.activities.archive.BackupResult;
import dev.lifeboat.activities.archive.Compression;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The benchmark: generates a data set, then times Lifeboat backup, verify and restore (each in a child JVM)
 * against GNU tar with gzip and with pigz on the same tree, prints a table with ratios and writes JSON.
 * {@code Bench child <op> ...} is what the child JVMs run.
 */
public final class Bench {
  private static final long MB = 1024 * 1024;

  /** Median figures of one operation. */
  record Row(String name, String kind, double wallSeconds, double cpuSeconds, double throughputMBs, double peakRssMB,
      double maxProcessRssMB, Double inJvmSeconds, Long archiveBytes, List<ProcessMeter.Sample> samples) { }

  private Bench() { }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("child")) {
      child(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      new Runner(o).run();
    } catch (NotEnoughSpace e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(1);
    }
  }

  /** Refused before the data set is generated: the run would fill the disk. */
  static final class NotEnoughSpace extends RuntimeException {
    NotEnoughSpace(String message) {
      super(message);
    }
  }

  /** Command-line options of a benchmark run. */
  record Options(long sizeBytes, int repeat, long seed, Path workDir, boolean keep, String label, String jvmOpts,
      Path resultsDir, boolean incremental, boolean peers, boolean gzip, boolean pigz, boolean zstd, boolean warm,
      boolean cds, boolean jit, int smallFiles) {
    boolean lifeboatOnly() {
      return !peers && !pigz;
    }

    /** The value after option {@code args[i - 1]}. */
    private static String value(String[] args, int i) {
      if (i >= args.length) {
        throw new IllegalArgumentException(args[i - 1] + " needs a value");
      }
      return args[i];
    }

    /** The number after option {@code args[i - 1]}, within {@code [min, max]}. */
    private static long number(String[] args, int i, long min, long max) {
      String option = args[i - 1];
      String text = value(args, i);
      try {
        long n = Long.parseLong(text);
        if (n < min || n > max) {
          throw new IllegalArgumentException(option + " takes " + min + " to " + max + ", not " + n);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " needs a number, not '" + text + "'");
      }
    }

    static Options parse(String[] args) {
      long size = 300 * MB;
      int repeat = 1;
      long seed = 20260115L;
      Path work = null;
      boolean keep = false;
      String label = "run";
      String jvmOpts = null;
      Path results = Path.of("bench/results");
      boolean incremental = false;
      boolean peers = true;
      boolean gzip = false;
      boolean pigz = true;
      boolean zstd = false;
      boolean warm = false;
      boolean cds = true;
      boolean jit = true;
      int smallFiles = 0;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--quick" -> size = 50 * MB;
          case "--size-mb" -> size = number(args, ++i, 1, Long.MAX_VALUE / MB) * MB;
          case "--repeat" -> repeat = (int) number(args, ++i, 1, 1000);
          case "--seed" -> seed = number(args, ++i, Long.MIN_VALUE, Long.MAX_VALUE);
          case "--work-dir" -> work = Path.of(value(args, ++i));
          case "--keep" -> keep = true;
          case "--label" -> label = value(args, ++i);
          case "--jvm-opts" -> jvmOpts = value(args, ++i);
          case "--results" -> results = Path.of(value(args, ++i));
          case "--incremental" -> incremental = true;
          case "--no-peers" -> peers = false;
          case "--gzip" -> gzip = true;
          case "--zstd" -> zstd = true;
          case "--warm" -> warm = true;
          case "--no-cds" -> cds = false;
          case "--no-jit" -> jit = false;
          case "--small-files" -> smallFiles = (int) number(args, ++i, 0, 10_000_000);
          case "--lifeboat-only" -> {
            peers = false;
            pigz = false;
          }
          default -> throw new IllegalArgumentException("unknown option " + args[i]
              + " (known: --quick --size-mb N --repeat N --seed N --work-dir DIR --keep --label TEXT"
              + " --jvm-opts 'OPTS' --results DIR --incremental --no-peers --gzip --zstd --warm --no-cds --no-jit"
              + " --lifeboat-only --small-files N)");
        }
      }
      if (jvmOpts == null) {
        // what a user runs: scripts/start.sh's memory flags, which hold the RSS bound
        jvmOpts = scriptOutput("jvm-opts.sh");
      }
      return new Options(size, repeat, seed, work, keep, label, jvmOpts, results, incremental, peers, gzip, pigz,
          zstd, warm, cds, jit, smallFiles);
    }
  }

  /** What {@code scripts/<name>} of the checkout (where the harness runs) prints, stripped. */
  static String scriptOutput(String name) {
    Path script = Path.of("scripts", name).toAbsolutePath();
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException(script + " is missing: run bench/run.sh from a checkout");
    }
    try {
      Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
      if (p.waitFor() != 0) {
        throw new IllegalStateException(script + " failed (exit " + p.exitValue() + ")");
      }
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(script + " interrupted", e);
    }
  }

  /** One benchmark run from data set to report. */
  private static final class Runner {
    private final Options o;
    private Path work;
    private final Map<String, String> kinds = new LinkedHashMap<>();
    private String engine = "unknown";
    private final List<Double> warmOneFileMs = new ArrayList<>();

    Runner(Options o) {
      this.o = o;
    }

    void run() throws Exception {
      work = o.workDir() != null ? Files.createDirectories(o.workDir())
          : Files.createTempDirectory("lifeboat-bench-");
      try {
        // the tree, archives and repositories, and a round's restored trees (kept to the next round)
        long needed = 9 * o.sizeBytes();
        long free = Files.getFileStore(work).getUsableSpace();
        if (free < needed) {
          throw new NotEnoughSpace(String.format(Locale.ROOT,
              "the work dir %s has %d MiB free; a run of a %d MiB data set needs about %d MiB"
                  + " (--work-dir elsewhere, or a smaller --size-mb)",
              work, free / MB, o.sizeBytes() / MB, needed / MB));
        }
        Path src = work.resolve("src");
        System.out.printf(Locale.ROOT, "Generating %d MiB data set in %s (seed %d) ...%n", o.sizeBytes() / MB, src,
            o.seed());
        long g0 = System.nanoTime();
        DataSet.Stats stats = DataSet.generate(src, o.sizeBytes(), o.seed());
        System.out.printf(Locale.ROOT, "  %d files, %d dirs, %.1f MiB in %.1f s%n", stats.files(), stats.dirs(),
            stats.bytes() / (double) MB, (System.nanoTime() - g0) / 1e9);
        diskWriteMiBs = diskWriteRate(work);
        System.out.printf(Locale.ROOT, "  disk: %.0f MiB/s written and forced to disk in the work dir (%d MiB)%n",
            diskWriteMiBs, DISK_PROBE_MIB);
        List<Row> rows = measure(src, stats.bytes());
        Map<String, Object> ratios = ratios(rows);
        print(stats, rows, ratios);
        write(stats, rows, ratios);
      } finally {
        if (!o.keep()) {
          deleteTree(work);
        } else {
          System.out.println("kept " + work);
        }
      }
    }

    private double diskWriteMiBs;

    static final int DISK_PROBE_MIB = 512;

    /**
     * What the work dir's disk takes: MiB/s of a file written and forced to disk as a backup's archive is
     * (bytes no disk or host can deduplicate or compress). A backup that reuses a previous archive still
     * writes a whole archive, so on a slow disk this rate, not the CPU, bounds the 1 % change's row.
     */
    static double diskWriteRate(Path dir) throws IOException {
      Path f = dir.resolve("disk-probe");
      byte[] block = new byte[8 * (int) MB];
      new java.util.Random(1).nextBytes(block);
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(block);
      long t0 = System.nanoTime();
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
        for (int i = 0; i < DISK_PROBE_MIB / 8; i++) {
          // each piece differs from the others, so no layer below stores it once
          for (int k = 0; k < block.length; k += 4096) {
            block[k] = (byte) i;
            block[k + 1] = (byte) (i >> 8);
          }
          buf.clear();
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }
        ch.force(true);
      } finally {
        Files.deleteIfExists(f);
      }
      return DISK_PROBE_MIB / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * As scripts/start.sh does: a first run of Lifeboat records the classes it loads into a class-data archive
     * (the JDK's dynamic CDS) when it exits, and later runs map it instead of loading, verifying and linking them
     * again. Here that first run is every operation on a small tree of its own, before any round; the JVM
     * options every measured child then gets.
     */
    private String classDataArchive(String java, String classPath) throws Exception {
      Path jsa = work.resolve("lifeboat.jsa");
      String quiet = " -Xlog:cds=off -Xlog:cds+dynamic=off";
      System.out.println("Recording the class-data archive Lifeboat's child JVMs map (as scripts/start.sh does) ...");
      Process p = new ProcessBuilder("bash", "-c", q(java) + " " + o.jvmOpts() + jitPolicy() + " -XX:ArchiveClassesAtExit=" + q(jsa)
          + quiet + classPath + " train " + q(work.resolve("cds-training"))).inheritIO().start();
      if (p.waitFor() != 0 || !Files.isRegularFile(jsa)) {
        throw new IllegalStateException("recording the class-data archive failed (exit " + p.exitValue()
            + "); --no-cds runs without one");
      }
      deleteTree(work.resolve("cds-training"));
      return " -XX:SharedArchiveFile=" + q(jsa) + quiet;
    }

    /**
     * As scripts/start.sh does: the JIT policy scripts/jit-flags.sh gives (C1 only where libcrypto is installed,
     * else C2 only for the loops that touch every byte); --no-jit leaves it out.
     */
    private String jitPolicy() throws Exception {
      if (jitFlags == null) {
        jitFlags = o.jit() ? readJitFlags() : "";
      }
      return jitFlags;
    }

    private String jitFlags;

    private String readJitFlags() throws Exception {
      String flags = scriptOutput("jit-flags.sh");
      // the directives file is named relative to the checkout, where the children run
      return flags.isEmpty() ? "" : " " + flags.replace("=scripts/", "=" + q(Path.of("scripts").toAbsolutePath() + "/"));
    }

    private List<Row> measure(Path src, long bytes) throws Exception {
      Map<String, List<ProcessMeter.Sample>> samples = new LinkedHashMap<>();
      Map<String, Long> sizes = new LinkedHashMap<>();
      Path scratch = Files.createDirectories(work.resolve("scratch"));
      restores = work.resolve("restores");
      Path gz = work.resolve("tar-gzip.tar.gz");
      Path pz = work.resolve("tar-pigz.tar.gz");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      // --warm: each child first runs every operation on a small tree of its own, as a running server has
      String warmUp = o.warm() ? " -Dlifeboat.bench.warmup=" + q(work.resolve("warm-up")) : "";
      String classPath = " -cp " + q(System.getProperty("java.class.path")) + " " + Bench.class.getName() + " child";
      String cds = o.cds() ? classDataArchive(java, classPath) : "";
      String childJvm = q(java) + " " + o.jvmOpts() + jitPolicy() + cds + warmUp + classPath;
      Path zs = work.resolve("tar-zstd.tar.zst");
      Path restic = work.resolve("restic-repo");
      String resticCmd = "RESTIC_PASSWORD=bench restic --no-cache -q -r " + q(restic);
      for (int r = 0; r < o.repeat(); r++) {
        System.out.printf(Locale.ROOT, "Round %d of %d%n", r + 1, o.repeat());
        if (r > 0 && o.incremental()) {
          // the incremental round changed the tree: start each round from the same data
          deleteTree(src);
          DataSet.generate(src, o.sizeBytes(), o.seed());
        }
        // the last round's restored trees go long before this round's restores (see restore())
        deleteTree(restores);
        Path repo = work.resolve("repo");
        deleteTree(repo);
        deleteTree(gz);
        deleteTree(pz);
        deleteTree(zs);
        deleteTree(restic);
        if (o.gzip()) {
          run(samples, "backup", "tar czf", "tar czf " + q(gz) + " -C " + q(src) + " .", scratch, src);
        }
        if (o.pigz()) {
          run(samples, "backup", "tar cf - | pigz", "tar cf - -C " + q(src) + " . | pigz > " + q(pz), scratch,
              src);
        }
        if (o.peers()) {
          run(samples, "backup", "tar cf - | zstd -T0 -1",
              "tar cf - -C " + q(src) + " . | zstd -q -T0 -1 -o " + q(zs), scratch, src);
          deleteTree(zs);
          // the same, its archive forced to disk before it ends, as Lifeboat's is
          run(samples, "backup", ZSTD_SYNCED,
              "tar cf - -C " + q(src) + " . | zstd -q -T0 -1 -o " + q(zs) + " && sync " + q(zs), scratch, src);
          ProcessMeter.run(resticCmd + " init", scratch);
          run(samples, "backup", "restic backup", resticCmd + " backup " + q(src), scratch, src);
        }
        ProcessMeter.Sample b = run(samples, "backup", "Lifeboat backup",
            childJvm + " backup " + q(repo) + " " + q(src), scratch, src);
        Path archive = Path.of(field(b.stdout(), "archive"));
        engine = field(b.stdout(), "engine");
        if (o.gzip()) {
          sizes.put("tar czf", Files.size(gz));
        }
        if (o.pigz()) {
          sizes.put("tar cf - | pigz", Files.size(pz));
        }
        sizes.put("Lifeboat backup", Files.size(archive));
        if (o.zstd()) {
          // its own repository, so the gzip rows below read the gzip archive
          Path zrepo = work.resolve("repo-zstd");
          deleteTree(zrepo);
          ProcessMeter.Sample z = run(samples, "backup", "Lifeboat backup (zstd)",
              childJvm + " backup " + q(zrepo) + " " + q(src) + " zstd", scratch, src);
          sizes.put("Lifeboat backup (zstd)", Files.size(Path.of(field(z.stdout(), "archive"))));
          run(samples, "verify", "Lifeboat verify (zstd)", childJvm + " verify " + q(zrepo), scratch, zrepo);
          restore(samples, "Lifeboat restore (zstd)", t -> childJvm + " restore " + q(zrepo) + " " + q(t), scratch,
              bytes, zrepo);
        }
        if (o.peers()) {
          sizes.put("tar cf - | zstd -T0 -1", Files.size(zs));
          sizes.put("restic backup", treeBytes(restic));
        }

        if (o.gzip()) {
          run(samples, "verify", "gzip -t", "gzip -t " + q(gz), scratch, gz);
        }
        if (o.pigz()) {
          run(samples, "verify", "pigz -t", "pigz -t " + q(pz), scratch, pz);
        }
        if (o.peers()) {
          run(samples, "verify", "restic check --read-data", resticCmd + " check --read-data", scratch,
              restic);
        }
        run(samples, "verify", "Lifeboat verify", childJvm + " verify " + q(repo), scratch, repo);

        if (o.gzip()) {
          restore(samples, "tar xzf", t -> "tar xzf " + q(gz) + " -C " + q(t), scratch, bytes, gz);
        }
        if (o.pigz()) {
          restore(samples, "pigz -dc | tar x", t -> "pigz -dc " + q(pz) + " | tar xf - -C " + q(t), scratch,
              bytes, pz);
        }
        if (o.peers()) {
          restore(samples, "zstd -dc | tar x", t -> "zstd -q -dc " + q(zs) + " | tar xf - -C " + q(t), scratch,
              bytes, zs);
          restore(samples, "restic restore", t -> resticCmd + " restore latest --target " + q(t), scratch, bytes,
              restic);
        }
        restore(samples, "Lifeboat restore", t -> childJvm + " restore " + q(repo) + " " + q(t), scratch, bytes,
            repo);
        if (!o.lifeboatOnly()) {
          restore(samples, "tar xzf (Lifeboat archive)", t -> "tar xzf " + q(archive) + " -C " + q(t), scratch,
              bytes, archive);
        }

        // one file from the end of the archive: Lifeboat seeks to its member, tar reads up to it
        ProcessMeter.Sample one = run(samples, "one file", "Lifeboat one file",
            childJvm + " file " + q(repo), scratch, repo);
        String last = field(one.stdout(), "path");
        double warmMs = Double.parseDouble(field(one.stdout(), "warmMedianMs"));
        warmOneFileMs.add(warmMs);
        System.out.printf(Locale.ROOT, "    then in the warm JVM (as the server reads): median %.1f ms%n", warmMs);
        if (o.pigz()) {
          run(samples, "one file", "tar xzf (pigz archive) one file",
              "tar xzf " + q(pz) + " -O " + q("./" + last) + " > /dev/null", scratch, pz);
        }
        if (o.peers()) {
          run(samples, "one file", "restic dump",
              resticCmd + " dump latest " + q(src.toAbsolutePath() + "/" + last) + " > /dev/null", scratch,
              restic);
        }

        if (o.incremental()) {
          DataSet.Mutation m = DataSet.mutate(src, 0.01, o.seed() + r);
          System.out.printf(Locale.ROOT, "  changed %d of %d files (%.1f MiB)%n", m.files(), m.of(),
              m.bytes() / (double) MB);
          if (o.peers()) {
            run(samples, "incremental", "restic backup (1 % changed)", resticCmd + " backup " + q(src), scratch,
                src, restic);
          }
          ProcessMeter.Sample inc = run(samples, "incremental", "Lifeboat backup (1 % changed)",
              childJvm + " backup " + q(repo) + " " + q(src), scratch, src, repo);
          sizes.put("Lifeboat backup (1 % changed)", Files.size(Path.of(field(inc.stdout(), "archive"))));
          System.out.printf(Locale.ROOT, "    reused %s files%n", field(inc.stdout(), "reusedFiles"));
          run(samples, "verify", "Lifeboat verify (incremental archive)", childJvm + " verify " + q(repo), scratch,
              repo);
        }
        if (o.smallFiles() > 0) {
          smallFiles(smallSamples, childJvm, scratch);
        }
      }
      deleteTree(restores);
      List<Row> rows = rows(samples, sizes, bytes);
      rows.addAll(rows(smallSamples, Map.of(), smallBytes));
      return rows;
    }

    private final Map<String, List<ProcessMeter.Sample>> smallSamples = new LinkedHashMap<>();
    private long smallBytes;

    /**
     * --small-files N: N files of a few bytes in folders of 1,000 (a virtual environment, a git
     * object store), backed up and restored by Lifeboat and by tar with zstd: the per-file costs,
     * which the main tree's 19,000 files hide behind its gigabyte.
     */
    private void smallFiles(Map<String, List<ProcessMeter.Sample>> samples, String childJvm, Path scratch)
        throws Exception {
      Path src = work.resolve("small-files");
      if (!Files.isDirectory(src)) {
        System.out.printf(Locale.ROOT, "  generating %d small files%n", o.smallFiles());
        DataSet.smallFiles(src, o.smallFiles(), o.seed());
      }
      smallBytes = treeBytes(src);
      Path repo = work.resolve("small-files-repo");
      Path zs = work.resolve("small-files.tar.zst");
      deleteTree(repo);
      deleteTree(zs);
      run(samples, "small files", SMALL_ZSTD, "tar cf - -C " + q(src) + " . | zstd -q -T0 -1 -o " + q(zs), scratch,
          src);
      run(samples, "small files", SMALL_LIFEBOAT, childJvm + " backup " + q(repo) + " " + q(src), scratch, src);
      // Each restore into a folder of its own, all deleted at the end: right after a tree of 200,000 files is
      // deleted, ext4 makes new files slowly for minutes (it skips the inodes it freed recently), and a restore
      // that followed a deletion took 3-5 times as long as one that did not, whichever tool it was
      // (what remains of it, from data deleted before the round, falls on each tool in turn: the order alternates)
      int round = samples.getOrDefault(SMALL_LIFEBOAT_RESTORE, List.of()).size();
      Path targets = Files.createDirectories(work.resolve("small-files-restores"));
      for (int i = 0; i < 2; i++) {
        if ((i + round) % 2 == 0) {
          restoreInto(targets.resolve("zstd-" + round), samples, SMALL_ZSTD_RESTORE,
              t -> "zstd -q -dc " + q(zs) + " | tar xf - -C " + q(t), scratch, smallBytes, zs);
        } else {
          restoreInto(targets.resolve("lifeboat-" + round), samples, SMALL_LIFEBOAT_RESTORE,
              t -> childJvm + " restore " + q(repo) + " " + q(t), scratch, smallBytes, repo);
        }
      }
    }

    private static final String SMALL_ZSTD = "small files: tar cf - | zstd -T0 -1";
    private static final String SMALL_LIFEBOAT = "Lifeboat backup (small files)";
    private static final String SMALL_ZSTD_RESTORE = "small files: zstd -dc | tar x";
    private static final String SMALL_LIFEBOAT_RESTORE = "Lifeboat restore (small files)";

    /** The median of each row's samples; throughput over {@code bytes}, the tree they worked on. */
    private List<Row> rows(Map<String, List<ProcessMeter.Sample>> samples, Map<String, Long> sizes, long bytes) {
      List<Row> rows = new ArrayList<>();
      for (Map.Entry<String, List<ProcessMeter.Sample>> e : samples.entrySet()) {
        List<ProcessMeter.Sample> s = e.getValue();
        double wall = median(s.stream().mapToDouble(ProcessMeter.Sample::wallSeconds).toArray());
        double cpu = median(s.stream().mapToDouble(ProcessMeter.Sample::cpuSeconds).toArray());
        double rss = median(s.stream().mapToDouble(x -> x.peakRssKb() / 1024.0).toArray());
        double maxRss = median(s.stream().mapToDouble(x -> x.maxSingleRssKb() / 1024.0).toArray());
        Double inJvm = e.getKey().startsWith("Lifeboat")
            ? median(s.stream().mapToDouble(Runner::inJvmSeconds).toArray()) : null;
        String kind = kinds.get(e.getKey());
        rows.add(new Row(e.getKey(), kind, wall, cpu, bytes / (double) MB / wall, rss, maxRss, inJvm,
            sizes.get(e.getKey()), s));
      }
      return rows;
    }

    /**
     * Times {@code cmd}, its {@code inputs} (the tree it backs up, the archive or repository it reads)
     * read into the page cache first, for every tool alike: the host reclaims page cache that sat
     * idle, and a row that met an evicted tree measured the disk (a backup of the bench tree took
     * 7 s instead of 3.5 s), not the tool.
     */
    private ProcessMeter.Sample run(Map<String, List<ProcessMeter.Sample>> samples, String kind, String name,
        String cmd, Path scratch, Path... inputs) throws IOException, InterruptedException {
      kinds.put(name, kind);
      System.out.printf(Locale.ROOT, "  %-38s", name);
      for (Path input : inputs) {
        readIntoCache(input);
      }
      ProcessMeter.Sample s = ProcessMeter.run(cmd, scratch);
      System.out.printf(Locale.ROOT, "%7.2f s%n", s.wallSeconds());
      samples.computeIfAbsent(name, k -> new ArrayList<>()).add(s);
      return s;
    }

    /**
     * Restores into a folder of its own, kept to the start of the next round: on ext4 without a journal
     * (this VM's) a file made within seconds of a mass deletion skips every inode freed then, and a
     * restore that followed the deletion of the one before it measured the file system, not the tool:
     * `zstd -dc | tar x` of the bench tree 2.96-6.74 s right after one, 2.64-3.06 s into a fresh folder;
     * Lifeboat 4.8 s and 3.8-4.5 s. Results from before 2026-12-02 16:30 UTC deleted each restore's tree
     * just before the next restore. A user restores onto a disk that has not just lost a tree.
     */
    private void restore(Map<String, List<ProcessMeter.Sample>> samples, String name,
        java.util.function.Function<Path, String> cmd, Path scratch, long expectedBytes, Path... inputs)
        throws Exception {
      Files.createDirectories(restores);
      Path target = restores.resolve(String.valueOf(restoreCount++));
      restoreInto(target, samples, name, cmd, scratch, expectedBytes, inputs);
    }

    private Path restores;
    private int restoreCount;

    /** Restores into {@code target}, a folder that must not exist yet, and checks the bytes it holds after. */
    private void restoreInto(Path target, Map<String, List<ProcessMeter.Sample>> samples, String name,
        java.util.function.Function<Path, String> cmd, Path scratch, long expectedBytes, Path... inputs)
        throws Exception {
      Files.createDirectories(target);
      run(samples, "restore", name, cmd.apply(target), scratch, inputs);
      long got = treeBytes(target);
      if (got != expectedBytes) {
        throw new IllegalStateException(name + " restored " + got + " bytes, expected " + expectedBytes);
      }
    }

    private static final String ZSTD_SYNCED = "tar cf - | zstd -T0 -1 && sync";

    private Map<String, Object> ratios(List<Row> rows) {
      Map<String, Row> by = new LinkedHashMap<>();
      rows.forEach(r -> by.put(r.name(), r));
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("backup / tar+gzip", ratio(by.get("Lifeboat backup"), by.get("tar czf"), true));
      out.put("backup / tar+pigz", ratio(by.get("Lifeboat backup"), by.get("tar cf - | pigz"), true));
      out.put("verify / gzip -t", ratio(by.get("Lifeboat verify"), by.get("gzip -t"), false));
      out.put("verify / pigz -t", ratio(by.get("Lifeboat verify"), by.get("pigz -t"), false));
      out.put("restore / tar xzf", ratio(by.get("Lifeboat restore"), by.get("tar xzf"), false));
      out.put("restore / pigz -dc|tar x", ratio(by.get("Lifeboat restore"), by.get("pigz -dc | tar x"), false));
      if (o.peers()) {
        out.put("backup / tar+zstd -1", ratio(by.get("Lifeboat backup"), by.get("tar cf - | zstd -T0 -1"), true));
        out.put("backup / tar+zstd -1+sync", ratio(by.get("Lifeboat backup"), by.get(ZSTD_SYNCED), false));
        out.put("zstd backup / tar+zstd -1",
            ratio(by.get("Lifeboat backup (zstd)"), by.get("tar cf - | zstd -T0 -1"), true));
        out.put("zstd restore / zstd -dc|tar x",
            ratio(by.get("Lifeboat restore (zstd)"), by.get("zstd -dc | tar x"), false));
        out.put("backup / restic", ratio(by.get("Lifeboat backup"), by.get("restic backup"), false));
        out.put("verify / restic check", ratio(by.get("Lifeboat verify"), by.get("restic check --read-data"), false));
        out.put("restore / zstd -dc|tar x", ratio(by.get("Lifeboat restore"), by.get("zstd -dc | tar x"), false));
        out.put("restore / restic", ratio(by.get("Lifeboat restore"), by.get("restic restore"), false));
        out.put("one file / restic dump", ratio(by.get("Lifeboat one file"), by.get("restic dump"), false));
        if (o.incremental()) {
          out.put("1% backup / restic", ratio(by.get("Lifeboat backup (1 % changed)"),
              by.get("restic backup (1 % changed)"), false));
        }
      }
      out.put("one file / tar xzf", ratio(by.get("Lifeboat one file"), by.get("tar xzf (pigz archive) one file"),
          false));
      out.put("small files: backup / tar+zstd -1", ratio(by.get(SMALL_LIFEBOAT), by.get(SMALL_ZSTD), false));
      out.put("small files: restore / zstd -dc|tar x",
          ratio(by.get(SMALL_LIFEBOAT_RESTORE), by.get(SMALL_ZSTD_RESTORE), false));
      out.values().removeIf(java.util.Objects::isNull);
      return out;
    }

    private Map<String, Object> ratio(Row lb, Row other, boolean size) {
      if (lb == null || other == null) {
        return null;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("wallTime", lb.wallSeconds() / other.wallSeconds());
      if (lb.inJvmSeconds() != null) {
        m.put("inJvmTime", lb.inJvmSeconds() / other.wallSeconds());
      }
      m.put("cpuTime", lb.cpuSeconds() / other.cpuSeconds());
      m.put("throughput", lb.throughputMBs() / other.throughputMBs());
      m.put("peakRss", lb.peakRssMB() / other.peakRssMB());
      if (size) {
        m.put("archiveSize", lb.archiveBytes() / (double) other.archiveBytes());
      }
      m.put("rounds", rounds(lb, other, o.warm()));
      return m;
    }

    /** The time a Lifeboat child reports spending inside its JVM on the operation. */
    static double inJvmSeconds(ProcessMeter.Sample s) {
      return Double.parseDouble(field(s.stdout(), "seconds"));
    }

    /**
     * The ratio of each round over the other's wall time in the same round, Lifeboat's wall time or,
     * with --warm, its in-JVM time: on a VM whose rounds spread (a first round's page-cache writers
     * ran 2-3x slower on the bench VM), a median alone hides which round it came from.
     */
    static List<Double> rounds(Row lb, Row other, boolean inJvm) {
      List<Double> out = new ArrayList<>();
      for (int i = 0; i < Math.min(lb.samples().size(), other.samples().size()); i++) {
        ProcessMeter.Sample l = lb.samples().get(i);
        double t = inJvm && lb.inJvmSeconds() != null
            ? inJvmSeconds(l) : l.wallSeconds();
        out.add(t / other.samples().get(i).wallSeconds());
      }
      return out;
    }

    private void print(DataSet.Stats stats, List<Row> rows, Map<String, Object> ratios) {
      System.out.println();
      System.out.printf(Locale.ROOT, "Data set: %d files (%d small, %d medium, %d large), %.1f MiB; %d cores (%s);"
          + " disk %.0f MiB/s; median of %d round(s); Lifeboat gzip: %s%n", stats.files(), stats.smallFiles(),
          stats.mediumFiles(), stats.largeFiles(), stats.bytes() / (double) MB, Runtime.getRuntime().availableProcessors(),
          cpuModel(), diskWriteMiBs, o.repeat(), engine);
      String fmt = "%-38s %8s %8s %9s %10s %9s %11s%n";
      System.out.printf(Locale.ROOT, fmt, "operation", "wall s", "CPU s", "MiB/s", "peak RSS", "in-JVM s",
          "archive MiB");
      for (Row r : rows) {
        System.out.printf(Locale.ROOT, fmt, r.name(), f2(r.wallSeconds()), f2(r.cpuSeconds()), f1(r.throughputMBs()),
            f1(r.peakRssMB()) + " MB", r.inJvmSeconds() == null ? "" : f2(r.inJvmSeconds()),
            r.archiveBytes() == null ? "" : f1(r.archiveBytes() / (double) MB));
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "%-30s %8s %8s %8s %10s %9s %9s  %s%n", "Lifeboat / other", "time", "in-JVM",
          "CPU", "throughput", "peak RSS", "size", "rounds");
      for (Map.Entry<String, Object> e : ratios.entrySet()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) e.getValue();
        @SuppressWarnings("unchecked")
        List<Double> rounds = (List<Double>) m.get("rounds");
        System.out.printf(Locale.ROOT, "%-30s %8s %8s %8s %10s %9s %9s  %s%n", e.getKey(), x(m.get("wallTime")),
            x(m.get("inJvmTime")), x(m.get("cpuTime")), x(m.get("throughput")), x(m.get("peakRss")),
            x(m.get("archiveSize")), String.join(" ", rounds.stream().map(Bench::x).toList()));
      }
      System.out.println("(time/CPU/RSS/size below 1.00x favour Lifeboat; throughput above 1.00x does; in-JVM is"
          + " Lifeboat's time inside its JVM, without start-up" + (o.warm()
              ? " and, with --warm, after every operation ran once on a small tree, as in a running server"
              : "") + ", over the other's wall time; rounds: each round's time ratio, " + (o.warm() ? "in-JVM" : "wall") + ")");
      rows.stream().filter(r -> r.name().equals("Lifeboat backup (1 % changed)") && r.archiveBytes() != null)
          .findFirst().ifPresent(r -> System.out.printf(Locale.ROOT, "Lifeboat backup (1 %% changed) writes a whole"
              + " archive: %.1f MiB at the disk's %.0f MiB/s alone take %.2f s%n", r.archiveBytes() / (double) MB,
              diskWriteMiBs, r.archiveBytes() / (double) MB / diskWriteMiBs));
      if (!warmOneFileMs.isEmpty()) {
        System.out.printf(Locale.ROOT, "Lifeboat one file in a warm JVM (as the server reads it): median %.1f ms%n",
            median(warmOneFileMs.stream().mapToDouble(Double::doubleValue).toArray()));
      }
    }

    private void write(DataSet.Stats stats, List<Row> rows, Map<String, Object> ratios) throws IOException {
      Files.createDirectories(o.resultsDir());
      String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
          .format(Instant.now());
      Path file = o.resultsDir().resolve(stamp + "-" + o.label() + ".json");
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("label", o.label());
      doc.put("at", Instant.now().toString());
      doc.put("commit", System.getenv().getOrDefault("LIFEBOAT_COMMIT", "unknown"));
      doc.put("warmOneFileMs", warmOneFileMs);
      Map<String, Object> env = new LinkedHashMap<>();
      env.put("cores", Runtime.getRuntime().availableProcessors());
      env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      env.put("childJvmOpts", o.jvmOpts());
      env.put("warm", o.warm());
      env.put("classDataArchive", o.cds());
      env.put("jitDirectives", o.jit());
      env.put("jitFlags", jitFlags == null ? "" : jitFlags.strip());
      env.put("lifeboatGzip", engine);
      env.put("tar", firstLine("tar", "--version"));
      env.put("gzip", firstLine("gzip", "--version"));
      env.put("pigz", firstLine("pigz", "--version"));
      env.put("zstd", firstLine("zstd", "--version"));
      env.put("restic", firstLine("restic", "version"));
      env.put("cpu", cpuModel());
      env.put("diskWriteMiBs", Math.round(diskWriteMiBs));
      doc.put("environment", env);
      doc.put("dataSet", stats);
      doc.put("repeat", o.repeat());
      doc.put("rows", rows);
      doc.put("ratios", ratios);
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
      System.out.println("results: " + file);
    }
  }

  // ---------------------------------------------------------------- child JVM operations

  private static void child(String[] args) throws Exception {
    if (args[0].equals("train")) {
      // the harness deletes the tree once this JVM has written its class-data archive
      warmUp(Path.of(args[1]));
      return;
    }
    String warmUp = System.getProperty("lifeboat.bench.warmup");
    if (warmUp != null) {
      warmUp(Path.of(warmUp));
    }
    Repository repo = new Repository(Path.of(args[1]));
    long t0 = System.nanoTime();
    Map<String, Object> out = new LinkedHashMap<>();
    switch (args[0]) {
      case "backup" -> {
        BackupResult r = repo.writeFromDirectory("bench", "data", Path.of(args[2]), List.of(), List.of(), false,
            args.length > 3 ? Compression.fromArgument(args[3]) : Compression.GZIP, ProgressListener.NONE);
        out.put("archive", r.ref().path().toString());
        out.put("files", r.files());
        out.put("compressedBytes", r.compressedBytes());
        out.put("reusedFiles", r.reusedFiles());
        out.put("engine", Repository.gzipEngine());
      }
      case "verify" -> repo.verify(repo.resolve("bench", "data", null), ProgressListener.NONE);
      case "file" -> {
        // the last file of the newest archive: the worst case for a reader that scans from the start
        ArchiveRef ref = repo.resolve("bench", "data", null);
        List<dev.lifeboat.activities.archive.Manifest.Entry> entries = repo.manifest(ref).entries();
        String last = entries.stream().filter(e -> e.type() == dev.lifeboat.activities.archive.Manifest.EntryType.FILE)
            .reduce((a, b) -> b).orElseThrow().path();
        long t1 = System.nanoTime();
        repo.readFile(ref, last, java.io.OutputStream.nullOutputStream());
        long cold = System.nanoTime() - t1;
        // then as the server does it, in a warm JVM: the median of further reads of the last files
        List<String> files = entries.stream()
            .filter(e -> e.type() == dev.lifeboat.activities.archive.Manifest.EntryType.FILE)
            .map(dev.lifeboat.activities.archive.Manifest.Entry::path).toList();
        double[] warm = new double[21];
        for (int i = 0; i < warm.length; i++) {
          long w = System.nanoTime();
          repo.readFile(ref, files.get(files.size() - 1 - i % files.size()), java.io.OutputStream.nullOutputStream());
          warm[i] = (System.nanoTime() - w) / 1e6;
        }
        out.put("path", last);
        out.put("warmMedianMs", median(warm));
        out.put("seconds", cold / 1e9);
        System.out.println(childJson(out));
        return;
      }
      case "restore" -> {
        ArchiveRef ref = repo.resolve("bench", "data", null);
        repo.restoreToDirectory(ref, Path.of(args[2]), false, ProgressListener.NONE);
      }
      default -> throw new IllegalArgumentException("unknown child operation " + args[0]);
    }
    out.put("seconds", (System.nanoTime() - t0) / 1e9);
    System.out.println(childJson(out));
  }

  /**
   * The child's result line, through the streaming generator: the data binder's first use (its date
   * formats load locale data) cost a measured child ~0.1 s after Lifeboat's work was done.
   */
  private static String childJson(Map<String, Object> out) throws IOException {
    java.io.StringWriter w = new java.io.StringWriter();
    try (com.fasterxml.jackson.core.JsonGenerator g =
        new com.fasterxml.jackson.core.JsonFactory().createGenerator(w)) {
      g.writeStartObject();
      for (Map.Entry<String, Object> e : out.entrySet()) {
        Object v = e.getValue();
        if (v instanceof Double d) {
          g.writeNumberField(e.getKey(), d);
        } else if (v instanceof Number n) {
          g.writeNumberField(e.getKey(), n.longValue());
        } else {
          g.writeStringField(e.getKey(), String.valueOf(v));
        }
      }
      g.writeEndObject();
    }
    return w.toString();
  }

  // ---------------------------------------------------------------- small things

  private static String field(String json, String name) {
    try {
      return new ObjectMapper().readTree(json).get(name).asText();
    } catch (IOException e) {
      throw new IllegalStateException("child printed no JSON: " + json, e);
    }
  }

  private static String q(Object s) {
    return "'" + s.toString().replace("'", "'\\''") + "'";
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static String f1(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  private static String f2(double d) {
    return String.format(Locale.ROOT, "%.2f", d);
  }

  private static String x(Object d) {
    return d == null ? "" : String.format(Locale.ROOT, "%.2fx", (Double) d);
  }

  /** The CPU's model as /proc/cpuinfo names it (the bench VM's host changes between runs). */
  private static String cpuModel() {
    String line = firstLine("sh", "-c", "grep -m1 'model name' /proc/cpuinfo");
    return line.contains(":") ? line.substring(line.indexOf(':') + 1).strip() : line;
  }

  private static String firstLine(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return s.lines().findFirst().orElse("");
    } catch (IOException | InterruptedException e) {
      return "unavailable";
    }
  }

  /** Reads every regular file under {@code root} (or the file itself), so the page cache holds it. */
  static void readIntoCache(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(1 << 20);
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
          while (ch.read(buffer.clear()) > 0) {
            // only the reading matters
          }
        }
      }
    }
  }

  private static long treeBytes(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).sum();
    }
  }

  /**
   * Runs every operation the children measure on a small tree of its own, so that the measured one runs
   * on compiled code as in a server that has been up for a while; the in-JVM time then excludes both
   * start-up and JIT warm-up.
   */
  private static void warmUp(Path dir) throws Exception {
    deleteTree(dir);
    Path src = dir.resolve("src");
    DataSet.generate(src, 48 * MB, 7);
    Repository r = new Repository(dir.resolve("repo"));
    for (Compression c : Compression.values()) {
      for (int round = 0; round < 2; round++) {
        String source = "warm-" + c.argument();
        r.writeFromDirectory("warm", source, src, List.of(), List.of(), false, c, ProgressListener.NONE);
        // found by name, as the measured children (and the server) find it: the catalog and the
        // archive's state are read through classes a backup alone does not load
        ArchiveRef ref = r.resolve("warm", source, null);
        r.verify(ref, ProgressListener.NONE);
        r.restoreToDirectory(ref, dir.resolve("restore-" + source + "-" + round), false, ProgressListener.NONE);
        List<dev.lifeboat.activities.archive.Manifest.Entry> entries = r.manifest(ref).entries();
        for (int i = entries.size() - 1; i >= Math.max(0, entries.size() - 50); i--) {
          if (entries.get(i).type() == dev.lifeboat.activities.archive.Manifest.EntryType.FILE) {
            r.readFile(ref, entries.get(i).path(), java.io.OutputStream.nullOutputStream());
          }
        }
      }
    }
    deleteTree(dir);
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
