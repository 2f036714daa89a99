package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files that change under a backup: the archive holds each file at its scanned size (cut or padded
 * with zeros), the manifest agrees, and the result says what changed or was skipped and why.
 */
class HonestBackupTest {
  @TempDir Path tmp;

  @Test
  void filesChangingWhileReadAreListedAndTheArchiveAgreesWithItsManifest() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a-first.txt"), "first\n");
    String grows = "grows\n".repeat(1000);
    Files.writeString(src.resolve("b-grows.txt"), grows);
    String shrinks = "shrinks\n".repeat(1000);
    Files.writeString(src.resolve("c-shrinks.txt"), shrinks);
    Files.writeString(src.resolve("d-changes.txt"), "before\n");
    Files.writeString(src.resolve("e-vanishes.txt"), "gone soon\n");
    Files.writeString(src.resolve("f-hard1.bin"), "shared inode\n");
    Files.createLink(src.resolve("g-hard2.bin"), src.resolve("f-hard1.bin"));
    Fixtures.Run mkfifo = Fixtures.run(src, "mkfifo", src.resolve("fifo").toString());
    assertThat(mkfifo.exit()).isZero();
    try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      socket.bind(UnixDomainSocketAddress.of(src.resolve("sock")));
      Repository repo = new Repository(tmp.resolve("repo"));
      boolean[] changedYet = {false};
      // at the first progress report (the scan is done, nothing read yet), change files before
      // they are read
      ProgressListener meddler =
          (done, total, files) -> {
            if (!changedYet[0]) {
              changedYet[0] = true;
              try {
                Files.writeString(src.resolve("b-grows.txt"), "more\n", StandardOpenOption.APPEND);
                Files.write(
                    src.resolve("c-shrinks.txt"),
                    "short".getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.TRUNCATE_EXISTING);
                Files.writeString(src.resolve("d-changes.txt"), "after!\n");
                Files.setLastModifiedTime(
                    src.resolve("d-changes.txt"), FileTime.from(Instant.now().plusSeconds(60)));
                Files.delete(src.resolve("e-vanishes.txt"));
                Files.delete(src.resolve("f-hard1.bin"));
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            }
          };
      BackupResult b = repo.writeFromDirectory("local", "src", src, List.of(), List.of(), meddler);

      assertThat(b.skipped())
          .containsExactlyInAnyOrder(
              new PathNote("e-vanishes.txt", "vanished before it was read"),
              new PathNote("f-hard1.bin", "vanished before it was read"),
              new PathNote("fifo", "fifo"),
              new PathNote("sock", "socket"));
      // what vanished makes the archive less than the source; the fifo and socket do not
      assertThat(b.unreadable())
          .containsExactlyInAnyOrder(
              new PathNote("e-vanishes.txt", "vanished before it was read"),
              new PathNote("f-hard1.bin", "vanished before it was read"));
      assertThat(b.changed())
          .containsExactlyInAnyOrder(
              new PathNote(
                  "b-grows.txt",
                  "grew while read (scanned "
                      + grows.length()
                      + " bytes, now "
                      + (grows.length() + 5)
                      + ")"),
              new PathNote("c-shrinks.txt", "shrank while read (padded with zeros)"),
              new PathNote("d-changes.txt", "modified while read"));

      // the archive agrees with its manifest and restores what the manifest says
      repo.verify(b.ref(), ProgressListener.NONE);
      Map<String, Manifest.Entry> entries =
          repo.manifest(b.ref()).entries().stream()
              .collect(Collectors.toMap(Manifest.Entry::path, Function.identity()));
      assertThat(entries).doesNotContainKeys("e-vanishes.txt", "f-hard1.bin", "fifo", "sock");
      assertThat(entries.get("g-hard2.bin").type()).isEqualTo(Manifest.EntryType.FILE);
      Path out = tmp.resolve("restored");
      repo.restoreToDirectory(b.ref(), out, false, ProgressListener.NONE);
      assertThat(Files.readString(out.resolve("b-grows.txt"))).isEqualTo(grows);
      byte[] padded = Files.readAllBytes(out.resolve("c-shrinks.txt"));
      assertThat(padded).hasSize(shrinks.length());
      assertThat(new String(padded, 0, 5, StandardCharsets.UTF_8)).isEqualTo("short");
      assertThat(Arrays.copyOfRange(padded, 5, padded.length)).containsOnly((byte) 0);
      assertThat(Files.readString(out.resolve("d-changes.txt"))).isEqualTo("after!\n");
      assertThat(Files.readString(out.resolve("g-hard2.bin"))).isEqualTo("shared inode\n");
    }
  }

  /**
   * A file that becomes a fifo after the scan: opening it to read waited for a writer that never
   * came, and the backup hung for ever (small files and large alike). It is now left out as
   * unreadable, named, and the run goes on.
   */
  @Test
  @org.junit.jupiter.api.Timeout(60)
  void aFileThatBecameAFifoAfterTheScanIsLeftOutNotWaitedFor() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a-first.txt"), "first\n");
    Files.writeString(src.resolve("b-small.txt"), "small\n");
    // larger than a pack's files: read by the writer itself, not ahead
    Files.write(src.resolve("c-medium.bin"), new byte[(int) ReadAhead.MAX_BYTES * 4]);
    Files.writeString(src.resolve("d-last.txt"), "last\n");
    Repository repo = new Repository(tmp.resolve("repo"));
    boolean[] once = {false};
    BackupResult b =
        repo.writeFromDirectory(
            "local",
            "src",
            src,
            List.of(),
            List.of(),
            (done, total, files) -> {
              // the scan is done, nothing read yet
              if (!once[0]) {
                once[0] = true;
                for (String name : List.of("b-small.txt", "c-medium.bin")) {
                  try {
                    Files.delete(src.resolve(name));
                    assertThat(Fixtures.run(src, "mkfifo", src.resolve(name).toString()).exit())
                        .isZero();
                  } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                }
              }
            });
    String why =
        SourceScan.UNREADABLE
            + "no longer a regular file (a fifo, socket or device took its place after the scan)";
    assertThat(b.unreadable())
        .containsExactlyInAnyOrder(
            new PathNote("b-small.txt", why), new PathNote("c-medium.bin", why));
    repo.verify(b.ref(), ProgressListener.NONE);
    assertThat(repo.manifest(b.ref()).entries())
        .extracting(Manifest.Entry::path)
        .contains("a-first.txt", "d-last.txt")
        .doesNotContain("b-small.txt", "c-medium.bin");
  }

  @Test
  void aHardLinkWhoseFirstNameVanishedKeepsLaterNamesLinked() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "first\n");
    Files.writeString(src.resolve("b1.bin"), "data\n");
    Files.createLink(src.resolve("b2.bin"), src.resolve("b1.bin"));
    Files.createLink(src.resolve("b3.bin"), src.resolve("b1.bin"));
    Repository repo = new Repository(tmp.resolve("repo"));
    boolean[] once = {false};
    BackupResult b =
        repo.writeFromDirectory(
            "local",
            "src",
            src,
            List.of(),
            List.of(),
            (done, total, files) -> {
              if (!once[0]) {
                once[0] = true;
                try {
                  Files.delete(src.resolve("b1.bin"));
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              }
            });
    assertThat(b.skipped()).containsExactly(new PathNote("b1.bin", "vanished before it was read"));
    Map<String, Manifest.Entry> entries =
        repo.manifest(b.ref()).entries().stream()
            .collect(Collectors.toMap(Manifest.Entry::path, Function.identity()));
    assertThat(entries.get("b2.bin").type()).isEqualTo(Manifest.EntryType.FILE);
    assertThat(entries.get("b3.bin").type()).isEqualTo(Manifest.EntryType.HARDLINK);
    assertThat(entries.get("b3.bin").linkTarget()).isEqualTo("b2.bin");
    Path out = tmp.resolve("restored");
    repo.restoreToDirectory(b.ref(), out, false, ProgressListener.NONE);
    assertThat(Files.readString(out.resolve("b3.bin"))).isEqualTo("data\n");
    assertThat(Files.getAttribute(out.resolve("b3.bin"), "unix:nlink")).isEqualTo(2);
  }

  @Test
  void devicesAndFifosInATarStreamAreSkippedWithTheirKind() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      RestoreSafetyTest.put(out, "ok.txt", TarConstants.LF_NORMAL, null, "fine");
      for (Object[] special :
          new Object[][] {
            {"pipe", TarConstants.LF_FIFO},
            {"tty", TarConstants.LF_CHR},
            {"disk", TarConstants.LF_BLK}
          }) {
        TarArchiveEntry e = new TarArchiveEntry((String) special[0], (Byte) special[1], true);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
      }
    }
    BackupResult b =
        new Repository(tmp.resolve("repo"))
            .writeFromTar(
                "pods", "x", new ByteArrayInputStream(bytes.toByteArray()), ProgressListener.NONE);
    assertThat(b.skipped())
        .containsExactly(
            new PathNote("pipe", "fifo"),
            new PathNote("tty", "device"),
            new PathNote("disk", "device"));
    assertThat(b.changed()).isEmpty();
  }

  @Test
  void readFailuresAreNamedInTheWordsOfTheSkippedList() {
    // root reads everything, so permission failures are shown on the mapping itself
    assertThat(SourceScan.reason(new java.nio.file.AccessDeniedException("/src/secret")))
        .isEqualTo("unreadable: Permission denied");
    assertThat(SourceScan.reason(new java.nio.file.NoSuchFileException("/src/gone")))
        .isEqualTo("vanished before it was read");
    assertThat(
            SourceScan.reason(
                new java.nio.file.FileSystemException("/src/x", null, "Input/output error")))
        .isEqualTo("unreadable: Input/output error");
    assertThat(SourceScan.kind(0140644)).isEqualTo("socket");
    assertThat(SourceScan.kind(0010644)).isEqualTo("fifo");
    assertThat(SourceScan.kind(0020644)).isEqualTo("device");
    assertThat(SourceScan.kind(0060644)).isEqualTo("device");
  }

  @Test
  void whatCouldNotBeReadIsToldApartFromWhatIsLeftOutByDesign() {
    for (IOException e :
        List.of(
            new java.nio.file.AccessDeniedException("/src/secret"),
            new java.nio.file.NoSuchFileException("/src/gone"),
            new java.nio.file.FileSystemException("/src/x", null, "Input/output error"),
            new IOException("stale file handle"))) {
      assertThat(new PathNote("x", SourceScan.reason(e)).unreadable()).as(e.toString()).isTrue();
    }
    for (int mode : new int[] {0140644, 0010644, 0020644, 0060644, 0}) {
      assertThat(new PathNote("x", SourceScan.kind(mode)).unreadable()).isFalse();
    }
    assertThat(new PathNote("x", SourceScan.REPOSITORY_NOTE).unreadable()).isFalse();
  }

  @Test
  void aTreeTooLargeForTheHeapFailsClearlyBeforeWritingAnything() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("many"));
    for (int i = 0; i < 30; i++) {
      Files.writeString(src.resolve("f" + i), "x");
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    long saved = SourceScan.entryHeap;
    SourceScan.entryHeap = 20 * SourceScan.heapCost("d01/e1");
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> repo.writeFromDirectory("local", "many", src, List.of(), List.of(), null))
          .isInstanceOf(dev.lifeboat.activities.action.ActionException.class)
          .hasMessageContaining("has more entries than a backup can hold")
          .hasMessageContaining("MB heap")
          .hasMessageContaining("JAVA_OPTS=-Xmx");
    } finally {
      SourceScan.entryHeap = saved;
    }
    assertThat(Files.exists(tmp.resolve("repo/local/many")))
        .as("nothing written for a backup that cannot be held")
        .isFalse();
  }

  /**
   * The heap a backup needs grows with its paths' length, not only their count: a check by count
   * (896 bytes an entry) passed a tree of long or non-Latin paths that then ran out of heap, which
   * ends the server. The same number of entries is held or refused by what their paths cost.
   */
  @Test
  void longAndNonLatinPathsCountForMoreOfTheHeap() throws Exception {
    assertThat(SourceScan.heapCost("abc")).isEqualTo(SourceScan.HEAP_PER_ENTRY + 2 * 3);
    // Java holds a path with any character beyond Latin-1 in two bytes a character
    assertThat(SourceScan.heapCost("проект")).isEqualTo(SourceScan.HEAP_PER_ENTRY + 2 * 2 * 6);
    assertThat(SourceScan.heapCost("größe")).isEqualTo(SourceScan.HEAP_PER_ENTRY + 2 * 5);

    Path shortNames = Files.createDirectories(tmp.resolve("short"));
    Path longNames = Files.createDirectories(tmp.resolve("long"));
    Path cyrillic = Files.createDirectories(tmp.resolve("cyrillic"));
    for (int i = 0; i < 25; i++) {
      Files.writeString(shortNames.resolve(String.format("f%02d", i)), "x");
      Files.writeString(longNames.resolve(String.format("%02d", i) + "n".repeat(200)), "x");
      Files.writeString(cyrillic.resolve(String.format("%02d", i) + "ж".repeat(100)), "x");
    }
    Repository repo = new Repository(tmp.resolve("repo"));
    long saved = SourceScan.entryHeap;
    // room for 30 entries of short names, or about 12 of 200 characters
    SourceScan.entryHeap = 30 * SourceScan.heapCost("f00");
    try {
      assertThat(
              repo.writeFromDirectory("local", "short", shortNames, List.of(), List.of(), null)
                  .files())
          .isEqualTo(25);
      for (Path refused : List.of(longNames, cyrillic)) {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () ->
                    repo.writeFromDirectory(
                        "local",
                        refused.getFileName().toString(),
                        refused,
                        List.of(),
                        List.of(),
                        null))
            .isInstanceOf(dev.lifeboat.activities.action.ActionException.class)
            .hasMessageContaining("has more entries than a backup can hold")
            .hasMessageContaining("a byte of its path");
      }
    } finally {
      SourceScan.entryHeap = saved;
    }
  }

  @Test
  void theRepositoryInsideTheSourceIsLeftOutAndASourceInsideItIsRefused() throws Exception {
    // a home directory holding Lifeboat's data: each backup would hold every one before it
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("notes.txt"), "notes\n");
    Repository repo = new Repository(home.resolve("lifeboat/data/repository"));
    BackupResult first =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    BackupResult second =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    assertThat(second.skipped())
        .containsExactly(new PathNote("lifeboat/data/repository", SourceScan.REPOSITORY_NOTE));
    assertThat(repo.manifest(second.ref()).entries())
        .extracting(Manifest.Entry::path)
        .containsExactly("lifeboat", "lifeboat/data", "notes.txt");
    assertThat(second.bytes()).isEqualTo(first.bytes());

    assertThatThrownBy(
            () ->
                repo.writeFromDirectory(
                    "local",
                    "repo",
                    home.resolve("lifeboat/data/repository/local"),
                    List.of(),
                    List.of(),
                    ProgressListener.NONE))
        .isInstanceOf(dev.lifeboat.activities.action.ActionException.class)
        .hasMessageContaining("is inside the backup repository");
    assertThatThrownBy(
            () ->
                repo.writeFromDirectory(
                    "local",
                    "repo",
                    home.resolve("lifeboat/data/repository"),
                    List.of(),
                    List.of(),
                    ProgressListener.NONE))
        .hasMessageContaining("is the backup repository");
  }
}
