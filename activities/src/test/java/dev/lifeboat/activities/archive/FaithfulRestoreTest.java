package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A home directory the way a data scientist has one, backed up, then restored by Lifeboat and by
 * GNU tar from the same archive: the two trees must be identical (contents, types, modes, times,
 * link targets).
 */
class FaithfulRestoreTest {
  static final long SPARSE_SIZE = 64L << 20;
  @TempDir Path tmp;

  @Test
  void lifeboatRestoresWhatGnuTarRestores() throws Exception {
    Path home = homeDirectory(tmp.resolve("home"));
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    assertThat(b.skipped()).isEmpty();
    assertThat(b.changed()).isEmpty();

    Path byLifeboat = tmp.resolve("by-lifeboat");
    repo.restoreToDirectory(b.ref(), byLifeboat, false, ProgressListener.NONE);
    Path byTar = Files.createDirectories(tmp.resolve("by-tar"));
    Fixtures.Run tar =
        Fixtures.run(byTar, "tar", "xzf", b.ref().path().toString(), "-C", byTar.toString());
    assertThat(tar.exit()).as("tar: " + tar.err()).isZero();

    Fixtures.Run diff =
        Fixtures.run(
            tmp, "diff", "-r", "--no-dereference", byLifeboat.toString(), byTar.toString());
    assertThat(diff.exit()).as("diff: " + diff.out() + diff.err()).isZero();
    Map<String, String> lifeboat = describe(byLifeboat);
    assertThat(lifeboat).isEqualTo(describe(byTar));
    // and both are the source (the root's own time aside)
    assertThat(lifeboat).isEqualTo(describe(home));

    Path sparse = byLifeboat.resolve("models/checkpoint.sparse");
    assertThat(Files.size(sparse)).isEqualTo(SPARSE_SIZE);
    assertThat(allocatedBytes(sparse))
        .as("allocated bytes of the restored sparse file")
        .isLessThan(SPARSE_SIZE / 16);
  }

  @Test
  void theBackedUpFolderItselfComesBackWithItsModeTimeAndOwner() throws Exception {
    // before, a home directory (0700, its user's) came back 0755 and root's: its user could not
    // make a file in it, and everyone could list it
    Path home = tmp.resolve("alice");
    Fixtures.write(home.resolve("notes.txt"), "hi\n", "rw-------");
    boolean asRoot = Integer.valueOf(0).equals(Files.getAttribute(home, "unix:uid"));
    if (asRoot) {
      Files.setAttribute(home, "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(home, "unix:gid", 2345, LinkOption.NOFOLLOW_LINKS);
    }
    Files.setAttribute(home, "unix:mode", 0700, LinkOption.NOFOLLOW_LINKS);
    Instant time = Instant.parse("2024-02-03T04:05:06Z");
    Files.setLastModifiedTime(home, FileTime.from(time));
    String expected = folder(home);
    assertThat(expected).startsWith("700 1706933106");

    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory(
            "local", "alice", home, List.of(), List.of(), ProgressListener.NONE);
    Manifest.Root root = repo.manifest(b.ref()).root();
    assertThat(root.mode()).isEqualTo("0700");
    assertThat(root.mtime()).isEqualTo(time);

    Path fresh = tmp.resolve("fresh");
    repo.restoreToDirectory(b.ref(), fresh, false, ProgressListener.NONE);
    assertThat(folder(fresh)).isEqualTo(expected);

    Path existing = tmp.resolve("existing");
    Fixtures.write(existing.resolve("old.txt"), "old\n", "rw-r--r--");
    Files.setAttribute(existing, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    repo.restoreToDirectory(b.ref(), existing, true, ProgressListener.NONE);
    assertThat(folder(existing)).isEqualTo(expected);
    assertThat(Files.readString(existing.resolve("notes.txt"))).isEqualTo("hi\n");

    // the plain tar a pod restore sends starts with "./" carrying them, for the pod's tar
    Path plain = tmp.resolve("plain.tar");
    try (java.io.OutputStream out = Files.newOutputStream(plain)) {
      repo.copyAsTar(b.ref(), out);
    }
    Path byTar = Files.createDirectories(tmp.resolve("by-tar"));
    Fixtures.Run tar = Fixtures.run(byTar, "tar", "xf", plain.toString(), "-C", byTar.toString());
    assertThat(tar.exit()).as("tar: " + tar.err()).isZero();
    assertThat(folder(byTar)).isEqualTo(expected);
    assertThat(Files.readString(byTar.resolve("notes.txt"))).isEqualTo("hi\n");

    // and a pod's stream ("tar cf - -C dir .") keeps its "./" as the manifest's root
    Path stream = tmp.resolve("stream.tar");
    Fixtures.Run pack =
        Fixtures.run(tmp, "tar", "cf", stream.toString(), "-C", home.toString(), ".");
    assertThat(pack.exit()).as("tar: " + pack.err()).isZero();
    BackupResult fromPod;
    try (java.io.InputStream in = Files.newInputStream(stream)) {
      fromPod = repo.writeFromTar("local", "alice-pod", in, ProgressListener.NONE);
    }
    Path podBack = tmp.resolve("pod-back");
    repo.restoreToDirectory(fromPod.ref(), podBack, false, ProgressListener.NONE);
    assertThat(folder(podBack)).isEqualTo(expected);
  }

  /** A folder's own mode, mtime in seconds and owner. */
  private static String folder(Path dir) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(dir, "unix:mode,lastModifiedTime,uid,gid", LinkOption.NOFOLLOW_LINKS);
    return Integer.toOctalString((Integer) a.get("mode") & 07777)
        + " "
        + ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond()
        + " "
        + a.get("uid")
        + ":"
        + a.get("gid");
  }

  /**
   * A home directory with a virtualenv, links of every kind, a sparse file and awkward names and
   * modes.
   */
  static Path homeDirectory(Path home) throws IOException {
    Path venv = home.resolve("venvs/ml");
    Fixtures.write(venv.resolve("pyvenv.cfg"), "home = /usr/bin\n", "rw-r--r--");
    Files.createDirectories(venv.resolve("bin"));
    Files.createSymbolicLink(venv.resolve("bin/python"), Path.of("/usr/bin/python3"));
    Files.createSymbolicLink(venv.resolve("bin/python3"), Path.of("python"));
    Fixtures.write(venv.resolve("bin/activate"), "# activate\n", "rw-r--r--");
    Fixtures.write(venv.resolve("bin/pip"), "#!/usr/bin/env python\n", "rwxr-xr-x");
    Fixtures.write(
        venv.resolve("lib/python3.11/site-packages/numpy/__init__.py"), "x = 1\n", "rw-r--r--");
    Files.createDirectories(venv.resolve("lib/python3.11/site-packages/numpy-2.1.dist-info"));
    Files.createSymbolicLink(venv.resolve("lib64"), Path.of("lib"));
    Files.createSymbolicLink(home.resolve("shared-data"), Path.of("/mnt/nfs/shared/data"));
    Files.createSymbolicLink(home.resolve("dangling"), Path.of("gone/long-ago.txt"));
    Files.createDirectories(home.resolve("projects/a"));
    Files.createSymbolicLink(home.resolve("projects/a/elsewhere"), Path.of("../../elsewhere"));
    Fixtures.write(home.resolve("projects/a/train.py"), "print('train')\n", "rw-r-----");
    Files.createLink(home.resolve("projects/a/train-copy.py"), home.resolve("projects/a/train.py"));
    Files.createLink(home.resolve("projects/train-again.py"), home.resolve("projects/a/train.py"));
    Fixtures.write(home.resolve("Données/été.ipynb"), "{\"cells\": []}\n", "rw-------");
    Fixtures.write(home.resolve("模型.bin"), "weights\n", "rw-r--r--");
    String longName = "n".repeat(120) + "-" + "é".repeat(40) + ".txt";
    Fixtures.write(home.resolve("long/" + "d".repeat(200) + "/" + longName), "long\n", "rw-r--r--");
    Files.createDirectories(home.resolve("empty/nested"));
    Files.createDirectories(home.resolve("team"));
    Files.setAttribute(home.resolve("team"), "unix:mode", 02770, LinkOption.NOFOLLOW_LINKS);
    Fixtures.write(home.resolve("readonly/keep.txt"), "read only\n", "r--r--r--");
    Files.createDirectories(home.resolve("models"));
    try (RandomAccessFile f =
        new RandomAccessFile(home.resolve("models/checkpoint.sparse").toFile(), "rw")) {
      f.setLength(SPARSE_SIZE);
      for (long at : new long[] {0, 10L << 20, (33L << 20) + 123}) {
        f.seek(at);
        f.write(("block at " + at).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    Files.setPosixFilePermissions(
        home.resolve("projects"), PosixFilePermissions.fromString("rwxr-x---"));
    if (Integer.valueOf(0).equals(Files.getAttribute(home, "unix:uid"))) {
      // as root, owners come back too: a user known here by name, and ids no name stands for
      for (String p :
          new String[] {"projects/a/train.py", "projects/a", "Données", "venvs/ml/bin/python"}) {
        Files.setAttribute(home.resolve(p), "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(home.resolve(p), "unix:gid", 2345, LinkOption.NOFOLLOW_LINKS);
      }
      Files.setOwner(
          home.resolve("模型.bin"),
          home.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    }
    // times last, deepest first, then the read-only directory
    List<Path> all;
    try (Stream<Path> s = Files.walk(home)) {
      all = new ArrayList<>(s.filter(p -> !p.equals(home)).toList());
    }
    all.sort((x, y) -> y.getNameCount() - x.getNameCount());
    long i = 0;
    for (Path p : all) {
      Files.getFileAttributeView(
              p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(
              FileTime.from(Instant.parse("2023-05-06T07:08:09Z").plusSeconds(7919 * i++)),
              null,
              null);
    }
    Files.setPosixFilePermissions(
        home.resolve("readonly"), PosixFilePermissions.fromString("r-xr-xr-x"));
    return home;
  }

  /**
   * path → type, mode (all twelve bits), mtime in seconds, owner, and the link target or content
   * digest.
   */
  static Map<String, String> describe(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        Map<String, Object> a =
            Files.readAttributes(
                p, "unix:mode,lastModifiedTime,nlink,uid,gid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        long mtime = ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond();
        String what;
        if (Files.isSymbolicLink(p)) {
          what = "symlink -> " + Files.readSymbolicLink(p);
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          what = "dir";
        } else {
          what = "file nlink=" + a.get("nlink") + " " + Fixtures.sha256(Files.readAllBytes(p));
        }
        out.put(
            root.relativize(p).toString(),
            what
                + " "
                + Integer.toOctalString(mode)
                + " "
                + mtime
                + " "
                + a.get("uid")
                + ":"
                + a.get("gid"));
      }
    }
    return out;
  }

  static long allocatedBytes(Path file) throws IOException, InterruptedException {
    Fixtures.Run stat = Fixtures.run(file.getParent(), "stat", "-c", "%b %B", file.toString());
    assertThat(stat.exit()).isZero();
    String[] parts = stat.out().trim().split(" ");
    return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
  }
}
