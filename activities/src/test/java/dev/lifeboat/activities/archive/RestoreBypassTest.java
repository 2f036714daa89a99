package dev.lifeboat.activities.archive;

import static dev.lifeboat.activities.archive.RestoreSafetyTest.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crafted archives of issue 7, each with a manifest that agrees with it (repacked by
 * writeFromTar, so the attacker controls both): whatever the restore does with them, nothing
 * outside the target changes. The target is {@code base/t/target}; {@code base} holds a sentinel
 * tree whose files, modes, times and link counts are compared before and after.
 */
class RestoreBypassTest {
  @TempDir Path tmp;
  Repository repo;
  Path base;
  Path target;
  Map<String, String> before;

  @BeforeEach
  void setUp() throws IOException {
    repo = new Repository(tmp.resolve("repo"));
    base = tmp.resolve("base");
    Fixtures.write(base.resolve("secret.txt"), "outside, do not touch\n", "rw-r--r--");
    Fixtures.write(base.resolve("x/inside-x.txt"), "also outside\n", "rw-r--r--");
    Files.setPosixFilePermissions(base.resolve("x"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(base.resolve("t"));
    for (Path p :
        new Path[] {
          base.resolve("secret.txt"),
          base.resolve("x/inside-x.txt"),
          base.resolve("x"),
          base.resolve("t"),
          base
        }) {
      Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2020-01-02T03:04:05Z")));
    }
    target = base.resolve("t/target");
    before = snapshot();
  }

  @AfterEach
  void nothingOutsideTheTargetChanged() throws IOException {
    assertThat(snapshot()).as("everything outside the target").isEqualTo(before);
  }

  @Test
  void aChainOfRelativeLinksIsRestoredButNeverWrittenThrough() throws Exception {
    // a/l -> ".." is the target itself; esc -> a/l/../../x is base/x, outside. A file "through" esc
    // must not land there.
    BackupResult b =
        crafted(
            out -> {
              put(out, "a/", TarConstants.LF_DIR, null, null);
              put(out, "a/l", TarConstants.LF_SYMLINK, "..", null);
              put(out, "esc", TarConstants.LF_SYMLINK, "a/l/../../x", null);
              put(out, "esc/pwned.txt", TarConstants.LF_NORMAL, null, "gotcha");
            });
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("esc");
    assertThat(base.resolve("x/pwned.txt")).doesNotExist();
    // refused before anything is written: a file below a link the archive makes
    assertThat(target).doesNotExist();
  }

  @Test
  void theSameLinksWithoutAFileThroughThemAreRestoredExactly() throws Exception {
    BackupResult b =
        crafted(
            out -> {
              put(out, "a/", TarConstants.LF_DIR, null, null);
              put(out, "a/l", TarConstants.LF_SYMLINK, "..", null);
              put(out, "esc", TarConstants.LF_SYMLINK, "a/l/../../x", null);
            });
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readSymbolicLink(target.resolve("a/l"))).isEqualTo(Path.of(".."));
    assertThat(Files.readSymbolicLink(target.resolve("esc"))).isEqualTo(Path.of("a/l/../../x"));
  }

  @Test
  void aDirectoryReplacedByALinkNeverPassesItsModeOrTimeOutside() throws Exception {
    // the directory "d" (0777) and the file "f" (0777) are replaced by links to outside things:
    // their modes and
    // times must not follow the links (base/x stays 0755, secret.txt 0644, times unchanged)
    BackupResult b =
        crafted(
            out -> {
              TarArchiveEntry d = new TarArchiveEntry("d/", TarConstants.LF_DIR, true);
              d.setMode(0777);
              d.setModTime(FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
              out.putArchiveEntry(d);
              out.closeArchiveEntry();
              TarArchiveEntry f = new TarArchiveEntry("f", TarConstants.LF_NORMAL, true);
              f.setMode(0777);
              f.setSize(1);
              f.setModTime(FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
              out.putArchiveEntry(f);
              out.write('x');
              out.closeArchiveEntry();
              put(out, "d", TarConstants.LF_SYMLINK, "../../x", null);
              put(out, "f", TarConstants.LF_SYMLINK, "../../secret.txt", null);
            });
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readSymbolicLink(target.resolve("d"))).isEqualTo(Path.of("../../x"));
    assertThat(Files.readSymbolicLink(target.resolve("f"))).isEqualTo(Path.of("../../secret.txt"));
  }

  @Test
  void aDirectoryWithContentsIsNotSwappedForALink() throws Exception {
    BackupResult b =
        crafted(
            out -> {
              put(out, "d/", TarConstants.LF_DIR, null, null);
              put(out, "d/secret.txt", TarConstants.LF_NORMAL, null, "mine");
              put(out, "d", TarConstants.LF_SYMLINK, "../..", null);
              put(out, "h", TarConstants.LF_LINK, "d/secret.txt", null);
            });
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'d'")
        .hasMessageContaining("would replace a folder the archive has put entries in")
        .hasMessageContaining("nothing was written");
    assertThat(Files.getAttribute(base.resolve("secret.txt"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void aHardLinkToACreatedFileThatWasSwappedForALinkIsRefused() throws Exception {
    // The restore's own file is replaced by a link to an outside file before the hard link entry
    // comes: the
    // file key check refuses to link (the outside file keeps one link).
    Files.createDirectories(target);
    try (Extraction x = new Extraction(ref(), target, progress())) {
      byte[] data = "mine".getBytes(StandardCharsets.UTF_8);
      x.write(file("f", data), new ByteArrayInputStream(data));
      Files.delete(target.resolve("f"));
      Files.createSymbolicLink(target.resolve("f"), Path.of("../../secret.txt"));
      assertThatThrownBy(
              () ->
                  x.write(link("h", Manifest.EntryType.HARDLINK, "f"), InputStreamOfNothing.get()))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("not a file this restore created");
    }
    assertThat(target.resolve("h")).doesNotExist();
    assertThat(Files.getAttribute(base.resolve("secret.txt"), "unix:nlink")).isEqualTo(1);
  }

  @Test
  void anEntryBelowASymlinkAlreadyInTheTargetIsRefused() throws Exception {
    Files.createDirectories(target);
    Files.createSymbolicLink(target.resolve("sub"), Path.of("../../x"));
    try (Extraction x = new Extraction(ref(), target, progress())) {
      byte[] data = "pwned".getBytes(StandardCharsets.UTF_8);
      assertThatThrownBy(() -> x.write(file("sub/pwned.txt", data), new ByteArrayInputStream(data)))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("'sub', which is a symlink");
      assertThatThrownBy(() -> x.write(dir("sub/inner"), InputStreamOfNothing.get()))
          .isInstanceOf(ActionException.class)
          .hasMessageContaining("'sub', which is a symlink");
    }
    assertThat(base.resolve("x/pwned.txt")).doesNotExist();
    assertThat(base.resolve("x/inner")).doesNotExist();
  }

  @Test
  void symlinksCreatedLastAreNotUsedForLaterDirectoryAttributes() throws Exception {
    // "s" -> outside comes first in the archive, "s/deep" as a directory later: the directory is
    // created for
    // real (the link does not exist yet), then the link cannot replace it
    BackupResult b =
        crafted(
            out -> {
              put(out, "s", TarConstants.LF_SYMLINK, "../../x", null);
              put(out, "s/deep/", TarConstants.LF_DIR, null, null);
            });
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'s'");
    assertThat(base.resolve("x/deep")).doesNotExist();
  }

  /**
   * Path → type, mode, mtime, link count and content digest of everything under base but the
   * target.
   */
  private Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(base)) {
      // the target's parent changes when the target is created in it; everything else must not
      for (Path p :
          s.filter(p -> !p.startsWith(target) && !p.equals(target.getParent())).toList()) {
        Map<String, Object> a =
            Files.readAttributes(
                p, "unix:mode,lastModifiedTime,nlink,ino", LinkOption.NOFOLLOW_LINKS);
        String content =
            Files.isSymbolicLink(p)
                ? "-> " + Files.readSymbolicLink(p)
                : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                    ? Fixtures.sha256(Files.readAllBytes(p))
                    : "dir";
        out.put(
            base.relativize(p).toString(),
            Integer.toOctalString((Integer) a.get("mode"))
                + " "
                + a.get("lastModifiedTime")
                + " nlink="
                + a.get("nlink")
                + " "
                + content);
      }
    }
    return out;
  }

  interface TarBody {
    void write(TarArchiveOutputStream out) throws IOException;
  }

  private BackupResult crafted(TarBody body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      put(out, "ok.txt", TarConstants.LF_NORMAL, null, "harmless");
      body.write(out);
    }
    return repo.writeFromTar(
        "crafted", "evil", new ByteArrayInputStream(bytes.toByteArray()), ProgressListener.NONE);
  }

  private ArchiveRef ref() {
    return new ArchiveRef("crafted", "evil", "crafted.tar.gz", tmp.resolve("crafted.tar.gz"));
  }

  private static Progress progress() {
    return new Progress(ProgressListener.NONE, 0);
  }

  private static Manifest.Entry file(String path, byte[] data) {
    return new Manifest.Entry(
        path,
        Manifest.EntryType.FILE,
        "0644",
        Instant.parse("2020-01-01T00:00:00Z"),
        data.length,
        Fixtures.sha256(data),
        null,
        0,
        0,
        0);
  }

  private static Manifest.Entry dir(String path) {
    return new Manifest.Entry(
        path,
        Manifest.EntryType.DIR,
        "0755",
        Instant.parse("2020-01-01T00:00:00Z"),
        0,
        null,
        null,
        0,
        0,
        0);
  }

  private static Manifest.Entry link(String path, Manifest.EntryType type, String to) {
    return new Manifest.Entry(
        path, type, "0644", Instant.parse("2020-01-01T00:00:00Z"), 0, null, to, 0, 0, 0);
  }

  private static final class InputStreamOfNothing {
    static java.io.InputStream get() {
      return new ByteArrayInputStream(new byte[0]);
    }
  }
}
