package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifests and states written field by field are the data binder's bytes. */
class JsonOutTest {
  @TempDir Path tmp;

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void aBackupsManifestIsTheBindersBytes() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Fixtures.awkwardTree(tmp.resolve("src"));
    ArchiveRef ref =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE)
            .ref();
    Manifest m = ManifestParser.read(ref.manifestPath().toFile());
    assertThat(text(JsonOut.manifest(m))).isEqualTo(text(Json.COMPACT.writeValueAsBytes(m)));
    // and the file the spool wrote is those bytes
    assertThat(text(java.nio.file.Files.readAllBytes(ref.manifestPath())))
        .isEqualTo(text(Json.COMPACT.writeValueAsBytes(m)));
  }

  @Test
  void manifestsOfEveryShapeAreTheBindersBytes() throws Exception {
    Instant t = Instant.parse("2024-03-01T10:15:30.123456789Z");
    List<Entry> entries =
        List.of(
            new Entry("a", EntryType.DIR, "0755", t, 0, null, null, 0, 0, 100),
            new Entry(
                "a/f \"q\" \\ \u00e9\u4e2d\ud83d\ude00\n\t\u0001",
                EntryType.FILE,
                "0644",
                Instant.parse("2024-03-01T10:15:30Z"),
                Long.MAX_VALUE,
                "ab".repeat(32),
                null,
                512,
                100,
                40,
                Instant.parse("2024-03-01T10:15:30.5Z"),
                -7L,
                4294967295L),
            new Entry(
                "a/l", EntryType.SYMLINK, "0777", t, 0, null, "/abs/</script>", 1536, 140, 30),
            new Entry("a/h", EntryType.HARDLINK, "0644", null, 0, null, "a/f", 2048, 170, 30),
            new Entry(null, null, null, null, -1, null, null, -1, -1, -1, null, null, null));
    List<Manifest> shapes =
        List.of(
            new Manifest(3, "s", "o", "x.tar.gz", null, null, entries, null, null, null, null),
            new Manifest(1, null, null, null, null, null, null, null, null, null, null),
            new Manifest(
                5,
                "s",
                "o",
                "x.tar.gz",
                Instant.parse("+12345-01-01T00:00:00Z"),
                Manifest.COMPRESSION,
                entries,
                new Manifest.Totals(5, 1, 5, 4096, 300, 260),
                "cd".repeat(32),
                new Manifest.Root("0700", t, 1000, 1000, "u", null, "/home/u"),
                3L),
            new Manifest(
                5,
                "s",
                "o",
                "x.tar.zst",
                t,
                "zstd",
                List.of(),
                new Manifest.Totals(0, 0, 0, 1024, 20, 0),
                null,
                new Manifest.Root(null, null, 0, 0, null, "g", null),
                0L));
    for (Manifest m : shapes) {
      assertThat(text(JsonOut.manifest(m))).isEqualTo(text(Json.COMPACT.writeValueAsBytes(m)));
    }
  }

  @Test
  void statesAreTheBindersBytes() throws Exception {
    Instant at = Instant.parse("2024-03-01T10:15:30.123Z");
    for (ArchiveState s :
        List.of(
            ArchiveState.unverified(at, "backup"),
            ArchiveState.verified(
                at, "verify", "ab".repeat(32), Instant.parse("2024-03-01T10:15:29Z")),
            ArchiveState.verified(at, "verify"),
            ArchiveState.damaged(at, "drill", "member 3 \"x\" is \\ not what \u00e9 said\n"),
            new ArchiveState(null, null, null, null, null, null))) {
      byte[] ours = JsonOut.state(s);
      byte[] bound = Json.MAPPER.writeValueAsBytes(s);
      // the binder orders the two derived fields as reflection lists its methods, run to run
      assertThat(Json.MAPPER.readTree(ours)).isEqualTo(Json.MAPPER.readTree(bound));
      assertThat(ours).hasSameSizeAs(bound);
      assertThat(text(ours)).startsWith("{\n  \"").endsWith("\n}");
      assertThat(Json.MAPPER.readValue(ours, ArchiveState.class)).isEqualTo(s);
    }
  }
}
