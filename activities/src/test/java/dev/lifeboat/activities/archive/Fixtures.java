package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Source trees with awkward names, a comparable description of trees, and running real tar and
 * gzip.
 */
public final class Fixtures {
  public static final String LONG_DIR =
      "a-directory-name-that-is-quite-long-on-purpose-" + "x".repeat(30);
  public static final String LONG_FILE =
      "and-a-file-name-long-enough-that-the-whole-path-passes-the-ustar-limit-"
          + "y".repeat(20)
          + ".bin";
  public static final String UNICODE = "notebooks/Überprüfung 数据.ipynb";
  public static final Instant T0 = Instant.parse("2024-03-01T10:15:30Z");

  private Fixtures() {}

  /**
   * A tree with long and non-ASCII names, spaces, empty dirs, modes, fixed mtimes, a symlink and a
   * hardlink.
   */
  public static Path awkwardTree(Path root) throws IOException {
    Files.createDirectories(root);
    write(root.resolve(UNICODE), "{\"cells\": [\"Grüße\"]}\n", "rw-------");
    write(root.resolve("notebooks/with space.txt"), "hello world\n", "rw-r--r--");
    write(root.resolve("bin/run.sh"), "#!/bin/sh\necho hi\n", "rwxr-x---");
    write(root.resolve(LONG_DIR + "/" + LONG_FILE), "long name content\n", "rw-r--r--");
    byte[] big = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(big);
    Files.createDirectories(root.resolve("data"));
    Files.write(root.resolve("data/big.bin"), big);
    Files.createDirectories(root.resolve("empty/nested-empty"));
    Files.createSymbolicLink(root.resolve("link-to-space"), Path.of("notebooks/with space.txt"));
    Files.createSymbolicLink(root.resolve("notebooks/up-link"), Path.of("../bin/run.sh"));
    Files.createLink(root.resolve("bin/run-hardlink.sh"), root.resolve("bin/run.sh"));
    Files.setPosixFilePermissions(
        root.resolve("empty"), PosixFilePermissions.fromString("rwxr-x---"));
    // Times last, deepest first, so writing children does not move a directory's time.
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = new ArrayList<>(s.filter(p -> !p.equals(root)).toList());
    }
    all.sort((a, b) -> b.getNameCount() - a.getNameCount());
    long i = 0;
    for (Path p : all) {
      if (!Files.isSymbolicLink(p)) {
        Files.setLastModifiedTime(p, FileTime.from(T0.plusSeconds(3600 * i++)));
      }
    }
    return root;
  }

  /**
   * Folders nested below {@code root/deep} past the kernel's 4,095-byte limit on a path: the
   * deepest cannot be read by anyone, root included (whom a file of mode 000 does not stop), so a
   * backup has an entry it could not read wherever the tests run. Java's own walk cannot remove
   * them: see {@link #removeTooDeep}.
   */
  public static void tooDeepToRead(Path root) throws IOException, InterruptedException {
    Run mkdir = run(root, "mkdir", "-p", "deep" + ("/" + "d".repeat(200)).repeat(21));
    assertThat(mkdir.exit()).as(mkdir.err()).isZero();
  }

  /** Removes what {@link #tooDeepToRead} made (rm walks from folder to folder, not by path). */
  public static void removeTooDeep(Path root) throws IOException, InterruptedException {
    Run rm = run(root, "rm", "-rf", "deep");
    assertThat(rm.exit()).as(rm.err()).isZero();
  }

  public static void write(Path file, String content, String perms) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
  }

  /**
   * path → "type mode mtime content-or-target" for everything below root (symlink times left out).
   */
  public static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, "symlink -> " + Files.readSymbolicLink(p));
        } else {
          String mode =
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
          long mtime =
              Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().getEpochSecond();
          String what = Files.isDirectory(p) ? "dir" : "file " + sha256(Files.readAllBytes(p));
          out.put(rel, what + " " + mode + " " + mtime);
        }
      }
    }
    return out;
  }

  /**
   * The paths of the entries whose members hold {@code path}'s: its pack's files, or itself alone.
   */
  public static java.util.Set<String> packOf(Manifest m, String path) {
    java.util.List<Manifest.Entry> entries = m.entries();
    int i = 0;
    while (!entries.get(i).path().equals(path)) {
      i++;
    }
    int start = Checker.runStart(entries, i);
    java.util.Set<String> paths = new java.util.LinkedHashSet<>();
    entries.subList(start, Checker.runEnd(entries, start)).forEach(e -> paths.add(e.path()));
    return paths;
  }

  /** At least {@code chars} characters of CSV rows of numbers and words, as measurements are. */
  public static String csv(int chars, long seed) {
    StringBuilder s = new StringBuilder();
    java.util.Random r = new java.util.Random(seed);
    String[] words = {"loss", "accuracy", "epoch", "größe", "train", "test"};
    for (long row = 0; s.length() < chars; row++) {
      s.append(row)
          .append(',')
          .append(1700000000L + row * 60)
          .append(',')
          .append(r.nextInt(1000) / 10.0)
          .append(',')
          .append(r.nextDouble())
          .append(',')
          .append(words[r.nextInt(words.length)])
          .append('\n');
    }
    return s.toString();
  }

  /**
   * {@code bytes} bytes of float32 weights around zero (little-endian: random low bytes, a few
   * exponents); a tail shorter than a float stays zero.
   */
  public static byte[] floats(int bytes, long seed) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    java.util.Random r = new java.util.Random(seed);
    while (b.remaining() >= 4) {
      b.putFloat((float) (r.nextGaussian() * 0.02));
    }
    return b.array();
  }

  /** A regular file of {@code size} bytes for {@link ArchiveWriter#add}, owned by u:g (1000). */
  public static ArchiveWriter.Item fileItem(String path, long size) {
    return new ArchiveWriter.Item(
        path,
        Manifest.EntryType.FILE,
        0644,
        Instant.parse("2026-01-01T00:00:00Z"),
        size,
        null,
        1000,
        1000,
        "u",
        "g");
  }

  /**
   * Flips one bit of an entry's member where its decode must see it: the byte nearest the member's
   * middle whose flip makes the member fail to decode or decode to other bytes. A flip in the
   * middle alone is not enough: in repetitive text a match's distance can change and still copy the
   * same bytes (about 1 archive in 30 of a repeated sentence, as the header's mtime moves the
   * bits), and then only the archive's own digest catches it, without naming the entry. The file's
   * modified time stays, as it does when a disk rots.
   */
  public static long damageMember(Path archive, Manifest.Entry e) throws IOException {
    byte[] member = memberBytes(archive, e);
    byte[] plain = decode(member);
    int mid = member.length / 2;
    for (int d = 0; d < member.length; d++) {
      for (int at : new int[] {mid + d, mid - d}) {
        if (at < 0 || at >= member.length) {
          continue;
        }
        member[at] ^= 0x20;
        byte[] after = decodeOrNull(member);
        member[at] ^= 0x20;
        if (after == null || !java.util.Arrays.equals(after, plain)) {
          return rot(archive, e.memberOffset() + at, 0x20);
        }
      }
    }
    throw new AssertionError("no byte of " + e.path() + "'s member changes its decode");
  }

  /**
   * Flips one bit of a gzip member, the last one from its end whose flip still decodes the first
   * {@code plain.length} bytes right while the whole member no longer decodes to them (the last
   * block runs on or stops short, the CRC or length fails): a reader that stops at the bytes it
   * wants sees no damage. The file's modified time stays.
   */
  public static long damageMemberEnd(Path archive, Manifest.Entry e) throws IOException {
    byte[] member = memberBytes(archive, e);
    byte[] plain = decode(member);
    for (int at = member.length - 1; at >= 10; at--) {
      for (int bit = 0; bit < 8; bit++) {
        member[at] ^= (byte) (1 << bit);
        boolean wanted = headDecodes(member, plain) && !Arrays.equals(decodeOrNull(member), plain);
        member[at] ^= (byte) (1 << bit);
        if (wanted) {
          return rot(archive, e.memberOffset() + at, 1 << bit);
        }
      }
    }
    throw new AssertionError("no flip in " + e.path() + "'s member leaves its head whole");
  }

  /** The bytes of {@code e}'s members in {@code archive}. */
  private static byte[] memberBytes(Path archive, Manifest.Entry e) throws IOException {
    byte[] member = new byte[Math.toIntExact(e.memberLength())];
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(archive)) {
      ch.read(java.nio.ByteBuffer.wrap(member), e.memberOffset());
    }
    return member;
  }

  /**
   * Flips the bits {@code mask} of the byte at {@code offset}, keeping the file's modified time as
   * a rotting disk does; returns the offset.
   */
  private static long rot(Path archive, long offset, int mask) throws IOException {
    java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(archive);
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            archive, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      ch.read(one, offset);
      one.put(0, (byte) (one.get(0) ^ mask));
      ch.write(one.rewind(), offset);
    }
    Files.setLastModifiedTime(archive, modified);
    return offset;
  }

  /** Whether the first {@code plain.length} bytes {@code member} decodes to are {@code plain}. */
  private static boolean headDecodes(byte[] member, byte[] plain) {
    try (InputStream in =
        new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(
            new java.io.ByteArrayInputStream(member), true)) {
      return Arrays.equals(in.readNBytes(plain.length), plain);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static byte[] decodeOrNull(byte[] member) {
    try {
      return decode(member);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] decode(byte[] member) throws IOException {
    boolean gzip = (member[0] & 0xff) == 0x1f && (member[1] & 0xff) == 0x8b;
    try (InputStream in =
        gzip
            ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(member))
            : new com.github.luben.zstd.ZstdInputStream(new java.io.ByteArrayInputStream(member))) {
      return in.readAllBytes();
    }
  }

  /** A listener that adds every message it is given to {@code into}, and ignores progress. */
  public static ProgressListener collecting(List<String> into) {
    return new ProgressListener() {
      @Override
      public void progress(long bytesDone, long bytesTotal, long filesDone) {}

      @Override
      public void message(String text) {
        into.add(text);
      }
    };
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Output of a finished command. */
  public record Run(int exit, String out, String err) {}

  public static Run run(Path dir, String... command) throws IOException, InterruptedException {
    return run(dir, null, null, command);
  }

  /**
   * Runs a command, feeding {@code stdin} (if any) and collecting stdout into {@code stdout} (if
   * any).
   */
  public static Run run(Path dir, InputStream stdin, OutputStream stdout, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put("LC_ALL", "C.UTF-8");
    Path err = Files.createTempFile("cmd", ".err");
    pb.redirectError(err.toFile());
    if (stdin == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    Process p = pb.start();
    Thread feeder = null;
    if (stdin != null) {
      feeder =
          new Thread(
              () -> {
                try (OutputStream o = p.getOutputStream()) {
                  stdin.transferTo(o);
                } catch (IOException ignored) {
                  // the command closed its input early; its exit code tells
                }
              });
      feeder.start();
    } else {
      p.getOutputStream().close();
    }
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (InputStream in = p.getInputStream()) {
      in.transferTo(stdout != null ? stdout : captured);
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS))
        .as("command finished: %s", List.of(command))
        .isTrue();
    if (feeder != null) {
      feeder.join();
    }
    String errText = Files.readString(err);
    Files.delete(err);
    return new Run(p.exitValue(), captured.toString(StandardCharsets.UTF_8), errText);
  }

  /** A clock tests move by hand. */
  public static final class TestClock extends Clock {
    private Instant now;

    public TestClock(Instant start) {
      this.now = start;
    }

    public void advance(Duration d) {
      now = now.plus(d);
    }

    public void set(Instant at) {
      now = at;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
