package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files restored through libc on their parent's descriptor come back exactly as through
 * Java's channels: contents, holes, every permission bit, times to the nanosecond, owners; files
 * that go Java's way (set-id bits, the size limit, an existing name) beside them.
 */
class SmallFilesThroughLibcTest {
  private static final int[] MODES = {0600, 0644, 0755, 0444, 0400, 0700, 0640, 0664, 0775, 0777};

  @TempDir Path tmp;

  @AfterEach
  void restoreDefault() {
    Extraction.smallFilesThroughLibc = true;
  }

  @Test
  void bothWaysRestoreTheSameTree() throws Exception {
    Path home = tree(tmp.resolve("home"));
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    assertThat(b.skipped()).isEmpty();

    long before = Extraction.smallFilesMade();
    Path viaLibc = tmp.resolve("via-libc");
    repo.restoreToDirectory(b.ref(), viaLibc, false, ProgressListener.NONE);
    long made = Extraction.smallFilesMade() - before;
    // all but the two set-id files and the one at the limit: 120 of every mode, two with holes, one
    // just below the limit
    assertThat(made).isEqualTo(MODES.length * 12L + 3);

    Extraction.smallFilesThroughLibc = false;
    Path viaJava = tmp.resolve("via-java");
    repo.restoreToDirectory(b.ref(), viaJava, false, ProgressListener.NONE);
    assertThat(Extraction.smallFilesMade() - before).isEqualTo(made);

    Map<String, String> libc = describe(viaLibc);
    assertThat(libc).isEqualTo(describe(viaJava)).isEqualTo(describe(home));
    assertThat(FaithfulRestoreTest.allocatedBytes(viaLibc.resolve("holes/middle")))
        .as("a 4 KiB block of zeros stays a hole")
        .isLessThan(3 * 4096);
  }

  @Test
  void anExistingNameIsReplacedNotFollowed() throws Exception {
    // libc refuses to make a name that exists (a link here): Java's way removes it and makes the
    // file, and the outside file the link named is untouched
    Path outside = tmp.resolve("outside.txt");
    Files.writeString(outside, "not to be touched\n");
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.createSymbolicLink(target.resolve("notes.txt"), outside);
    byte[] data = "mine\n".getBytes(StandardCharsets.UTF_8);
    Manifest.Entry e =
        new Manifest.Entry(
            "notes.txt",
            Manifest.EntryType.FILE,
            "0640",
            Instant.parse("2020-01-01T00:00:00.000000042Z"),
            data.length,
            Fixtures.sha256(data),
            null,
            0,
            0,
            0);
    long before = Extraction.smallFilesMade();
    ArchiveRef ref = new ArchiveRef("local", "home", "none.tar.gz", tmp.resolve("none.tar.gz"));
    try (Extraction x = new Extraction(ref, target, new Progress(ProgressListener.NONE, 0))) {
      x.write(e, new ByteArrayInputStream(data));
    }
    assertThat(Extraction.smallFilesMade()).isEqualTo(before);
    Path notes = target.resolve("notes.txt");
    assertThat(Files.isSymbolicLink(notes)).isFalse();
    assertThat(Files.readString(notes)).isEqualTo("mine\n");
    assertThat(Integer.toOctalString((Integer) Files.getAttribute(notes, "unix:mode")))
        .isEqualTo("100640");
    assertThat(Files.getLastModifiedTime(notes).toInstant())
        .isEqualTo(Instant.parse("2020-01-01T00:00:00.000000042Z"));
    assertThat(Files.readString(outside)).isEqualTo("not to be touched\n");
  }

  /** Files of every mode in small sizes, holes, set-id bits, the size limit, other owners. */
  private static Path tree(Path root) throws IOException {
    Random r = new Random(5);
    boolean asRoot = Integer.valueOf(0).equals(Files.getAttribute(tmpOwner(root), "unix:uid"));
    for (int m = 0; m < MODES.length; m++) {
      for (int i = 0; i < 12; i++) {
        Path f = root.resolve("mode-" + Integer.toOctalString(MODES[m])).resolve("f " + i + "-é");
        byte[] data = new byte[i == 0 ? 0 : r.nextInt(3000)];
        r.nextBytes(data);
        Files.createDirectories(f.getParent());
        Files.write(f, data);
        if (asRoot && i % 3 == 1) {
          Files.setAttribute(f, "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(f, "unix:gid", 2345, LinkOption.NOFOLLOW_LINKS);
        }
        Files.setAttribute(f, "unix:mode", MODES[m], LinkOption.NOFOLLOW_LINKS);
        Files.setLastModifiedTime(
            f, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + i, 123_456_789L + m)));
      }
    }
    byte[] middle = new byte[3 * 4096];
    r.nextBytes(middle);
    java.util.Arrays.fill(middle, 4096, 8192, (byte) 0);
    write(root.resolve("holes/middle"), middle, 0644);
    byte[] tail = new byte[2 * 4096];
    r.nextBytes(tail);
    java.util.Arrays.fill(tail, 4096, 8192, (byte) 0);
    write(root.resolve("holes/tail"), tail, 0644);
    write(root.resolve("limit/below"), new byte[(int) Extraction.SMALL - 1], 0644);
    write(root.resolve("limit/at"), new byte[(int) Extraction.SMALL], 0644);
    write(root.resolve("setid/setuid"), "#!/bin/sh\n".getBytes(), 04755);
    write(root.resolve("setid/setgid"), "#!/bin/sh\n".getBytes(), 02755);
    return root;
  }

  private static Path tmpOwner(Path root) throws IOException {
    return Files.createDirectories(root);
  }

  private static void write(Path f, byte[] data, int mode) throws IOException {
    Files.createDirectories(f.getParent());
    Files.write(f, data);
    Files.setAttribute(f, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2025-03-04T05:06:07.000000123Z")));
  }

  /** Type, contents, mode with its special bits, time to the nanosecond, owner of each entry. */
  private static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        Map<String, Object> a =
            Files.readAttributes(
                p, "unix:mode,lastModifiedTime,uid,gid", LinkOption.NOFOLLOW_LINKS);
        String what =
            Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                ? "dir"
                : "file " + Files.size(p) + " " + Fixtures.sha256(Files.readAllBytes(p));
        FileTime t = (FileTime) a.get("lastModifiedTime");
        out.put(
            root.relativize(p).toString(),
            String.join(
                " ",
                what,
                Integer.toOctalString((Integer) a.get("mode")),
                t.toInstant().toString(),
                a.get("uid") + ":" + a.get("gid")));
      }
    }
    return out;
  }
}
