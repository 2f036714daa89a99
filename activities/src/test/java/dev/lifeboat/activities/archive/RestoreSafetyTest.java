package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestoreSafetyTest {
  @TempDir Path tmp;
  Repository repo;

  @BeforeEach
  void setUp() {
    repo = new Repository(tmp.resolve("repo"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "dot-dot path     | FILE     | ../escaped.txt      |                 | '../escaped.txt' contains '..'",
      "nested dot-dot   | FILE     | sub/../../esc.txt   |                 | 'sub/../../esc.txt' contains '..'",
      "absolute path    | FILE     | /tmp/lifeboat-abs   |                 | '/tmp/lifeboat-abs' has an absolute path",
      "absolute symlink | SYMLINK  | evil-link           | /etc            | symlink 'evil-link' points outside",
      "relative symlink | SYMLINK  | sub/evil-link       | ../../outside   | symlink 'sub/evil-link' points outside",
      "hardlink outside | HARDLINK | evil-hard           | ../outside.txt  | hardlink 'evil-hard' points outside",
      "hardlink abs     | HARDLINK | evil-hard           | /etc/passwd     | hardlink 'evil-hard' points outside",
  })
  void entriesThatWouldLeaveTheTargetAreRefusedBeforeAnythingIsWritten(String label, String kind, String name,
      String link, String message) throws Exception {
    byte[] tar = tar(kind, name, link);
    BackupResult b = repo.writeFromTar("crafted", "evil", new ByteArrayInputStream(tar), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining(message)
        .hasMessageContaining("nothing was written");
    assertThat(target).doesNotExist();
    assertThat(tmp.resolve("escaped.txt")).doesNotExist();
    assertThat(Path.of("/tmp/lifeboat-abs")).doesNotExist();
  }

  @Test
  void aNonEmptyTargetIsRefusedWithoutClean() throws Exception {
    BackupResult b = backupOf("new.txt", "new");
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("old.txt"), "old");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class).hasMessageContaining("not empty").hasMessageContaining("clean");
    assertThat(Files.readString(target.resolve("old.txt"))).isEqualTo("old");
    assertThat(target.resolve("new.txt")).doesNotExist();

    repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE);
    assertThat(target.resolve("old.txt")).doesNotExist();
    assertThat(Files.readString(target.resolve("new.txt"))).isEqualTo("new");
  }

  @Test
  void cleanWithACorruptArchiveLeavesTheTargetUntouched() throws Exception {
    BackupResult b = backupOf("new.txt", "new content that is long enough to matter ".repeat(100));
    Manifest m = repo.manifest(b.ref());
    Manifest.Entry e = m.entries().get(0);
    ArchiveRoundTripTest.flip(b.ref().path(), e.memberOffset() + e.memberLength() / 2);
    Path target = Files.createDirectories(tmp.resolve("target"));
    Files.writeString(target.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, true, ProgressListener.NONE))
        .isInstanceOf(ActionException.class).hasMessageContaining("new.txt");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("precious.txt");
    }
    assertThat(Files.readString(target.resolve("precious.txt"))).isEqualTo("keep me");
  }

  @Test
  void aCorruptArchiveRestoredIntoAnEmptyTargetLeavesNoHalfTree() throws Exception {
    BackupResult b = backupOf("new.txt", "x".repeat(10_000));
    Manifest.Entry e = repo.manifest(b.ref()).entries().get(0);
    ArchiveRoundTripTest.flip(b.ref().path(), e.memberOffset() + e.memberLength() / 2);
    Path target = tmp.resolve("target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class).hasMessageContaining("new.txt");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  void restoreNeverWritesThroughASymlinkThatLeavesTheTarget() throws Exception {
    // "d/up" -> ".." stays inside lexically; "a" -> "d/up/.." looks inside but is the target's parent.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      put(out, "d/", TarConstants.LF_DIR, null, null);
      put(out, "d/up", TarConstants.LF_SYMLINK, "..", null);
      put(out, "a", TarConstants.LF_SYMLINK, "d/up/..", null);
      put(out, "a/escaped.txt", TarConstants.LF_NORMAL, null, "gotcha");
    }
    BackupResult b = repo.writeFromTar("crafted", "chain", new ByteArrayInputStream(bytes.toByteArray()),
        ProgressListener.NONE);
    Path target = tmp.resolve("inner/target");
    assertThatThrownBy(() -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE))
        .isInstanceOf(ActionException.class).hasMessageContaining("a/escaped.txt");
    assertThat(tmp.resolve("inner/escaped.txt")).doesNotExist();
  }

  private BackupResult backupOf(String name, String content) throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve(name), content);
    return repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
  }

  /** A tar with a harmless file first and then the crafted entry. */
  static byte[] tar(String kind, String name, String link) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      put(out, "ok.txt", TarConstants.LF_NORMAL, null, "harmless");
      switch (kind) {
        case "FILE" -> put(out, name, TarConstants.LF_NORMAL, null, "escaped");
        case "SYMLINK" -> put(out, name, TarConstants.LF_SYMLINK, link, null);
        default -> put(out, name, TarConstants.LF_LINK, link, null);
      }
    }
    return bytes.toByteArray();
  }

  static void put(TarArchiveOutputStream out, String name, byte flag, String link, String content) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
    byte[] data = content == null ? new byte[0] : content.getBytes(StandardCharsets.UTF_8);
    e.setSize(data.length);
    e.setMode(flag == TarConstants.LF_DIR ? 0755 : 0644);
    if (link != null) {
      e.setLinkName(link);
    }
    out.putArchiveEntry(e);
    out.write(data);
    out.closeArchiveEntry();
  }
}
