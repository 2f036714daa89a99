package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryFilesTest {
  @TempDir Path tmp;
  static final Instant AT = Instant.parse("2026-11-22T00:15:00Z");

  @Test
  void reserveNameClaimsTheFirstFreeSecondAndLeavesItsPartialOwnerOnly() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("src"));
    // :00 is taken by an archive, :01 by a manifest whose archive is gone, :02 by another writer
    Files.writeString(dir.resolve("20261122T001500Z.tar.gz"), "a");
    Files.writeString(dir.resolve("20261122T001501Z.manifest.json"), "{}");
    Files.writeString(dir.resolve(".20261122T001502Z.tar.gz.partial"), "half");

    String name = RepositoryFiles.reserveName(dir, AT, Compression.GZIP);

    assertThat(name).isEqualTo("20261122T001503Z.tar.gz");
    Path partial = dir.resolve(".20261122T001503Z.tar.gz.partial");
    assertThat(partial).isEmptyFile();
    assertThat(mode(partial)).isEqualTo("rw-------");
    assertThat(RepositoryFiles.reserveName(dir, AT, Compression.GZIP))
        .as("a reserved name is not handed out twice")
        .isEqualTo("20261122T001504Z.tar.gz");
  }

  @Test
  void removeLeftoversTakesPartialsAndOrphanSidecarsOnly() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("src"));
    for (String keep :
        new String[] {
          "20261122T001500Z.tar.gz",
          "20261122T001500Z.manifest.json",
          "20261122T001500Z.state.json",
          "20261122T001500Z.drill.json",
          "latest",
          "notes.manifest.json", // not an archive's sidecar
          "partial.txt"
        }) {
      Files.writeString(dir.resolve(keep), "x");
    }
    for (String leftover :
        new String[] {
          ".20261122T002000Z.tar.gz.partial",
          ".latest.partial",
          "20261121T000000Z.manifest.json",
          "20261121T000000Z.verified.json",
          "20261121T000000Z.drill.json"
        }) {
      Files.writeString(dir.resolve(leftover), "x");
    }
    // what a backup killed before its archive appeared leaves: the state it writes just before
    // the rename, and the partial file it renames (there from the start)
    Files.writeString(
        dir.resolve("20261121T000000Z.state.json"),
        "{\"state\": \"unverified\", \"at\": \"2026-11-21T00:00:00Z\", \"by\": \"backup\"}");
    Files.writeString(dir.resolve(".20261121T000000Z.tar.gz.partial"), "half");
    // a link is never followed nor removed, even under a leftover's name
    Path outside = Files.writeString(tmp.resolve("outside.txt"), "mine");
    Files.createSymbolicLink(dir.resolve(".evil.tar.gz.partial"), outside);

    List<String> removed = RepositoryFiles.removeLeftovers(dir);
    assertThat(removed)
        .containsExactlyInAnyOrder(
            ".20261122T002000Z.tar.gz.partial",
            ".20261121T000000Z.tar.gz.partial",
            ".latest.partial",
            "20261121T000000Z.manifest.json",
            "20261121T000000Z.state.json",
            "20261121T000000Z.verified.json",
            "20261121T000000Z.drill.json");
    // the partial file last: a cleanup that stops halfway leaves sidecars that still read as an
    // unfinished write's, never as the record of a lost archive
    assertThat(removed.subList(removed.size() - 3, removed.size()))
        .allMatch(n -> n.endsWith(".partial"));
    assertThat(names(dir))
        .containsExactlyInAnyOrder(
            "20261122T001500Z.tar.gz",
            "20261122T001500Z.manifest.json",
            "20261122T001500Z.state.json",
            "20261122T001500Z.drill.json",
            "latest",
            "notes.manifest.json",
            "partial.txt",
            ".evil.tar.gz.partial");
    assertThat(outside).hasContent("mine");
    assertThat(RepositoryFiles.removeLeftovers(dir)).as("nothing left to remove").isEmpty();
  }

  @Test
  void theRecordOfAnArchiveThatWasThereAndWentMissingIsNoLeftover() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("src"));
    String verified =
        "{\"state\": \"verified\", \"at\": \"2026-11-21T01:00:00Z\", \"by\": \"verify\"}";
    // verified, then its file deleted by hand or lost: manifest, state and drill record stay
    Files.writeString(dir.resolve("20261120T000000Z.manifest.json"), "{}");
    Files.writeString(dir.resolve("20261120T000000Z.state.json"), verified);
    Files.writeString(dir.resolve("20261120T000000Z.drill.json"), "{}");
    // pinned: the user said keep it
    Files.writeString(dir.resolve("20261120T010000Z.manifest.json"), "{}");
    Files.writeString(dir.resolve("20261120T010000Z.pin"), "pinned\n");
    // a state record that cannot be read may have said verified
    Files.writeString(dir.resolve("20261120T020000Z.manifest.json"), "{}");
    Files.writeString(dir.resolve("20261120T020000Z.state.json"), "{\"state\": \"veri");
    // damaged, then deleted by hand as the docs say: a leftover as before
    Files.writeString(dir.resolve("20261120T030000Z.manifest.json"), "{}");
    Files.writeString(
        dir.resolve("20261120T030000Z.state.json"),
        "{\"state\": \"damaged\", \"by\": \"verify\", \"error\": \"rot\"}");
    // a verified state whose manifest is gone too still says a backup was there
    Files.writeString(dir.resolve("20261120T040000Z.state.json"), verified);
    // published, not verified yet: no partial file says a writer is still at it
    Files.writeString(dir.resolve("20261120T050000Z.manifest.json"), "{}");
    Files.writeString(
        dir.resolve("20261120T050000Z.state.json"),
        "{\"state\": \"unverified\", \"at\": \"2026-11-20T05:00:00Z\", \"by\": \"backup\"}");
    // what a prune leaves when it stops halfway: its record says the archive went on purpose
    Files.writeString(dir.resolve("20261120T060000Z.manifest.json"), "{}");
    Files.writeString(dir.resolve("20261120T060000Z.pruned"), "pruned\n");
    Files.writeString(dir.resolve("20261120T070000Z.pruned"), "pruned\n");
    // a manifest alone: an archive fetched by an older version (no state), then lost
    Files.writeString(dir.resolve("20261120T080000Z.manifest.json"), "{}");

    assertThat(RepositoryFiles.removeLeftovers(dir))
        .containsExactlyInAnyOrder(
            "20261120T030000Z.manifest.json",
            "20261120T030000Z.state.json",
            "20261120T060000Z.manifest.json");
    assertThat(names(dir))
        .containsExactlyInAnyOrder(
            "20261120T000000Z.manifest.json",
            "20261120T000000Z.state.json",
            "20261120T000000Z.drill.json",
            "20261120T010000Z.manifest.json",
            "20261120T010000Z.pin",
            "20261120T020000Z.manifest.json",
            "20261120T020000Z.state.json",
            "20261120T040000Z.state.json",
            "20261120T050000Z.manifest.json",
            "20261120T050000Z.state.json",
            "20261120T060000Z.pruned",
            "20261120T070000Z.pruned",
            "20261120T080000Z.manifest.json");
  }

  @Test
  void writeAtomicallyReplacesWholeOwnerOnlyAndLeavesNoPartial() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("src"));
    Path f = dir.resolve("20261122T001500Z.state.json");
    Files.writeString(f, "old and longer");
    RepositoryFiles.writeAtomically(f, "new".getBytes());
    assertThat(f).hasContent("new");
    assertThat(mode(f)).isEqualTo("rw-------");
    assertThat(names(dir)).containsExactly("20261122T001500Z.state.json");
  }

  @Test
  void theLatestPointerReadsBackTrimmedAndBlankReadsAsNone() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("src"));
    assertThat(RepositoryFiles.readLatest(dir)).isEmpty();
    RepositoryFiles.writeLatest(dir, "20261122T001500Z.tar.gz");
    assertThat(dir.resolve("latest")).hasContent("20261122T001500Z.tar.gz\n");
    assertThat(RepositoryFiles.readLatest(dir)).contains("20261122T001500Z.tar.gz");
    Files.writeString(dir.resolve("latest"), "  \n");
    assertThat(RepositoryFiles.readLatest(dir)).isEmpty();
  }

  @Test
  void privateDirectoriesAreTheOwnersOnlyFromTheRepositoryDown() throws Exception {
    Path root = tmp.resolve("drive/repo");
    Path source = root.resolve("local/src");
    RepositoryFiles.createPrivateDirectories(root, source);
    for (Path d : new Path[] {root, root.resolve("local"), source}) {
      assertThat(mode(d)).as(d.toString()).isEqualTo("rwx------");
    }
    RepositoryFiles.createPrivateDirectories(root, source); // again: nothing to do, no error
  }

  @Test
  void aFullDiskIsRecognisedThroughCauses() {
    IOException enospc = new IOException("No space left on device");
    assertThat(RepositoryFiles.isDiskFull(new RuntimeException("wrapped", enospc))).isTrue();
    assertThat(RepositoryFiles.isDiskFull(new IOException("Permission denied"))).isFalse();
    assertThat(RepositoryFiles.diskFull(tmp.resolve("a.tar.gz"), tmp, 42, enospc))
        .hasMessageContaining("no space left on device while writing " + tmp.resolve("a.tar.gz"))
        .hasMessageContaining("needs 42 bytes (uncompressed)")
        .hasMessageMatching("(?s).*, \\d+ bytes free.*")
        .hasCause(enospc);
    // a small record's size is its own, not data before compression
    assertThat(RepositoryFiles.diskFull(tmp.resolve("x.state.json"), tmp, 133, false, enospc))
        .hasMessageContaining("needs 133 bytes,");
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  private static java.util.List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }
}
