package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scan lists and stats directories on several threads; its result is the one walk of the tree
 * in archive order would give: entries, notes in order, which name of a hard-linked file holds its
 * data, totals, and the first failure.
 */
class SourceScanThreadsTest {
  @TempDir Path tmp;

  @Test
  void anyNumberOfThreadsGivesTheResultOfOneWalk() throws Exception {
    Path root = tree();
    List<String> includes = List.of();
    List<String> excludes = List.of("**/skip-*");
    String one = describe(SourceScan.scan(root, includes, excludes, 1));
    for (int round = 0; round < 20; round++) {
      assertThat(describe(SourceScan.scan(root, includes, excludes, 4))).isEqualTo(one);
    }
    // the first name in archive order holds a hard-linked file's data, wherever the threads went
    assertThat(one)
        .contains("FILE d00/e0/shared size=5 link=null")
        .contains("HARDLINK d07/e2/shared-again size=0 link=d00/e0/shared")
        .contains("HARDLINK d19/zz size=0 link=d00/e0/shared");
    assertThat(one).doesNotContain("skip-me");
    // a socket is noted in its place among the notes
    assertThat(one).contains("skipped d03/e1/sock: socket");
  }

  @Test
  void includesKeepOnlyDirectoriesThatHoldSomethingWithAnyNumberOfThreads() throws Exception {
    Path root = tree();
    List<String> includes = List.of("d1*/**", "d0[0-2]/e0/note-3.txt");
    String one = describe(SourceScan.scan(root, includes, List.of(), 1));
    for (int round = 0; round < 10; round++) {
      assertThat(describe(SourceScan.scan(root, includes, List.of(), 3))).isEqualTo(one);
    }
    assertThat(one)
        .contains("DIR d12 ")
        .contains("FILE d01/e0/note-3.txt")
        .doesNotContain("d01/e1")
        .doesNotContain("DIR d05 ");
  }

  @Test
  void tooManyEntriesFailsWithItsOwnMessageOnAnyThread() throws Exception {
    Path root = tree();
    long saved = SourceScan.entryHeap;
    SourceScan.entryHeap = 50 * SourceScan.heapCost("d01/e1");
    try {
      for (int threads : new int[] {1, 4}) {
        assertThatThrownBy(() -> SourceScan.scan(root, List.of(), List.of(), threads))
            .hasMessageContaining("has more entries than a backup can hold");
      }
    } finally {
      SourceScan.entryHeap = saved;
    }
  }

  @Test
  void aMissingRootFailsAsItself() {
    Path missing = tmp.resolve("missing");
    assertThatThrownBy(() -> SourceScan.scan(missing, List.of(), List.of(), 4))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
  }

  /** 20 directories of 3 subdirectories of files, with hard links across them, links, a socket. */
  private Path tree() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("home"));
    for (int d = 0; d < 20; d++) {
      for (int e = 0; e < 3; e++) {
        Path dir = Files.createDirectories(root.resolve(String.format("d%02d/e%d", d, e)));
        for (int f = 0; f < 6; f++) {
          Files.writeString(dir.resolve("note-" + f + ".txt"), "d" + d + "e" + e + "f" + f);
        }
        Files.writeString(dir.resolve("skip-me"), "excluded");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("note-0.txt"));
      }
    }
    Path shared = root.resolve("d00/e0/shared");
    Files.writeString(shared, "bytes");
    Files.createLink(root.resolve("d07/e2/shared-again"), shared);
    Files.createLink(root.resolve("d19/zz"), shared);
    Files.createDirectories(root.resolve("d11/empty"));
    try (ServerSocketChannel s = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(root.resolve("d03/e1/sock")));
    }
    return root;
  }

  private static String describe(SourceScan.Result r) {
    List<String> lines = new ArrayList<>();
    for (SourceScan.Found f : r.items()) {
      ArchiveWriter.Item i = f.item();
      lines.add(
          i.type()
              + " "
              + i.path()
              + " size="
              + i.size()
              + " link="
              + i.linkTarget()
              + " mode="
              + Integer.toOctalString(i.mode())
              + (i.type() == EntryType.FILE ? " stamp=" + (f.stamp() != null) : ""));
    }
    r.skipped().forEach(n -> lines.add("skipped " + n.path() + ": " + n.reason()));
    r.renamed().forEach(n -> lines.add("renamed " + n.path() + ": " + n.reason()));
    lines.add("files=" + r.files() + " bytes=" + r.bytes());
    return String.join("\n", lines);
  }
}
