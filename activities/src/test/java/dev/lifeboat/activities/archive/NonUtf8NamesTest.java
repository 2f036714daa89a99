package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names whose bytes are not UTF-8, made by the shell as an old Latin-1 system or a copied Windows
 * share leaves them: each is backed up under a name with its stray bytes as %XX, said so in the
 * backup's output, restored by Lifeboat and by GNU tar, and reused by the next backup. Before, such
 * bytes became U+FFFD: two names merged into one and none could be restored under its name.
 */
class NonUtf8NamesTest {
  @TempDir Path tmp;

  @Test
  void strayBytesAreKeptAsPercentEscapesAndReported() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    // café.txt in Latin-1 and in CP1252 neighbours: both would be "caf\uFFFD.txt"
    shell(
        home,
        "printf 'latin-1\\n' > \"$(printf 'caf\\351.txt')\";"
            + " printf 'other\\n' > \"$(printf 'caf\\350.txt')\";"
            + " mkdir \"$(printf 'Ber\\374cksichtigt')\";"
            + " printf 'inside\\n' > \"$(printf 'Ber\\374cksichtigt')/notes.md\";"
            + " printf 'utf-8\\n' > 'café.txt';"
            + " printf 'literal\\n' > 'caf%E8%FF.txt';"
            + " printf 'taken\\n' > \"$(printf 'caf%%E8\\377.txt')\";"
            + " ln -s \"$(printf 'caf\\351.txt')\" link-to-latin1;"
            + " ln -s \"$(printf 'Ber\\374cksichtigt')/\" dir-link");
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);

    assertThat(b.changed().stream().map(PathNote::path))
        .containsExactlyInAnyOrder(
            "Ber%FCcksichtigt", "caf%E8.txt", "caf%E9.txt", "link-to-latin1", "dir-link");
    assertThat(b.changed()).allSatisfy(n -> assertThat(n.reason()).contains("not valid UTF-8"));
    // its escaped name is a real file's name: left out, and said so, rather than one replacing
    // the other
    assertThat(b.skipped())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.path()).isEqualTo("caf%E8%FF.txt");
              assertThat(n.reason()).contains("not backed up").contains("another file's name");
            });
    assertThat(b.files()).isEqualTo(5);

    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(b.ref(), restored, false, ProgressListener.NONE);
    assertThat(Files.readString(restored.resolve("caf%E9.txt"))).isEqualTo("latin-1\n");
    assertThat(Files.readString(restored.resolve("caf%E8.txt"))).isEqualTo("other\n");
    assertThat(Files.readString(restored.resolve("café.txt"))).isEqualTo("utf-8\n");
    assertThat(Files.readString(restored.resolve("caf%E8%FF.txt"))).isEqualTo("literal\n");
    assertThat(Files.readString(restored.resolve("Ber%FCcksichtigt/notes.md")))
        .isEqualTo("inside\n");
    assertThat(Files.readSymbolicLink(restored.resolve("link-to-latin1")).toString())
        .isEqualTo("caf%E9.txt");
    assertThat(Files.readString(restored.resolve("link-to-latin1"))).isEqualTo("latin-1\n");
    // readlink(1): Java's own reading of a link drops a trailing slash
    Fixtures.Run readlink = Fixtures.run(restored, "readlink", "dir-link");
    assertThat(readlink.out()).as("the trailing slash stays").isEqualTo("Ber%FCcksichtigt/\n");

    Path byTar = Files.createDirectories(tmp.resolve("by-tar"));
    Fixtures.Run tar =
        Fixtures.run(byTar, "tar", "xzf", b.ref().path().toString(), "-C", byTar.toString());
    assertThat(tar.exit()).as("tar: " + tar.err()).isZero();
    assertThat(names(byTar)).isEqualTo(names(restored));

    repo.verify(b.ref(), ProgressListener.NONE);
    BackupResult again =
        repo.writeFromDirectory("local", "home", home, List.of(), List.of(), ProgressListener.NONE);
    assertThat(again.reusedFiles()).as("escaped names are found again").isEqualTo(5);
    assertThat(again.changed()).hasSize(5);
  }

  @Test
  void anExcludedSuchFileIsNeitherArchivedNorReported() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    shell(home, "printf 'x\\n' > \"$(printf 'caf\\351.tmp')\"; printf 'ok\\n' > ok.txt");
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b =
        repo.writeFromDirectory(
            "local", "home", home, List.of(), List.of("*.tmp"), ProgressListener.NONE);
    assertThat(b.files()).isEqualTo(1);
    assertThat(b.changed()).isEmpty();
    assertThat(b.skipped()).isEmpty();
  }

  @Test
  void aPodsTarStreamWithSuchANameIsEscapedTheSameWayAndSaysSo() throws Exception {
    Path pod = Files.createDirectories(tmp.resolve("pod"));
    shell(pod, "printf 'latin-1\\n' > \"$(printf 'caf\\351.txt')\"; printf 'ok\\n' > ok.txt");
    Path stream = tmp.resolve("stream.tar");
    Fixtures.Run tar = Fixtures.run(pod, "tar", "cf", stream.toString(), "-C", pod.toString(), ".");
    assertThat(tar.exit()).as("tar: " + tar.err()).isZero();
    Repository repo = new Repository(tmp.resolve("repo"));
    BackupResult b;
    try (java.io.InputStream in = Files.newInputStream(stream)) {
      b = repo.writeFromTar("pods", "notebook", in, ProgressListener.NONE);
    }
    assertThat(b.files()).isEqualTo(2);
    assertThat(b.changed())
        .singleElement()
        .satisfies(
            n -> {
              assertThat(n.path()).isEqualTo("caf%E9.txt");
              assertThat(n.reason()).contains("not valid UTF-8");
            });
    Path restored = tmp.resolve("restored");
    repo.restoreToDirectory(b.ref(), restored, false, ProgressListener.NONE);
    assertThat(Files.readString(restored.resolve("caf%E9.txt"))).isEqualTo("latin-1\n");
    assertThat(Files.readString(restored.resolve("ok.txt"))).isEqualTo("ok\n");
  }

  @Test
  void escapingKeepsValidUtf8AndWritesEachStrayByte() {
    assertThat(RawNames.escape("café €".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo("café €");
    assertThat(RawNames.escape(new byte[] {'a', (byte) 0xe9, 'b'})).isEqualTo("a%E9b");
    // a cut multi-byte sequence, a lone continuation byte, an overlong slash
    assertThat(RawNames.escape(new byte[] {(byte) 0xe2, (byte) 0x82, 'x'})).isEqualTo("%E2%82x");
    assertThat(RawNames.escape(new byte[] {(byte) 0x80})).isEqualTo("%80");
    assertThat(RawNames.escape(new byte[] {(byte) 0xc0, (byte) 0xaf})).isEqualTo("%C0%AF");
    assertThat(RawNames.escape(new byte[0])).isEmpty();
    // the charset tar streams are read with, found by name as commons-compress looks it up
    assertThat(java.nio.charset.Charset.forName(RawNames.CHARSET)).isSameAs(RawNames.ESCAPED_UTF_8);
    RawNames.escapedSinceLastAsked();
    assertThat(new String(new byte[] {'x', (byte) 0xff, (byte) 0xfe}, RawNames.ESCAPED_UTF_8))
        .isEqualTo("x%FF%FE");
    assertThat(RawNames.escapedSinceLastAsked()).isEqualTo(2);
    assertThat(RawNames.escapedSinceLastAsked()).isZero();
  }

  private static Set<String> names(Path root) throws Exception {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p).toString()).collect(Collectors.toSet());
    }
  }

  private static void shell(Path dir, String script) throws Exception {
    Fixtures.Run r = Fixtures.run(dir, "sh", "-c", script);
    assertThat(r.exit()).as("sh: " + r.err()).isZero();
  }
}
