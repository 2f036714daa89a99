package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quick manifest reader gives what the data binder gives for every manifest it takes, and
 * leaves every other one to the binder, whose result or error is then the reader's.
 */
class ManifestParserTest {
  @TempDir Path tmp;
  Path manifest;
  String json;

  @BeforeEach
  void setUp() throws IOException {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Fixtures.awkwardTree(tmp.resolve("src"));
    BackupResult backup =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    manifest = backup.ref().manifestPath();
    json = Files.readString(manifest);
  }

  @Test
  void aBackupsManifestIsReadTheQuickWayAsTheBinderReadsIt() throws Exception {
    Manifest bound = Json.MANIFEST.readValue(manifest.toFile());
    Manifest quick = ManifestParser.fast(manifest.toFile());
    assertThat(quick).isEqualTo(bound);
    assertThat(quick.entries()).hasSizeGreaterThan(10);
    assertThat(quick.root()).isNotNull();
    assertThat(quick.unreadable()).isZero();
    assertThat(quick.entries())
        .anySatisfy(e -> assertThat(e.type()).isEqualTo(Manifest.EntryType.HARDLINK))
        .anySatisfy(e -> assertThat(e.type()).isEqualTo(Manifest.EntryType.SYMLINK))
        .anySatisfy(e -> assertThat(e.memberCrc32c()).isNotNull());
  }

  /** Well-formed manifests of other shapes: the same result, read either way. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown field at the top  | ^\\{                          | '{\"later\":{\"a\":[1,2]},'     | true",
        "unknown field in an entry | \"type\"\\s*:                 | \"later\":[{}],\"type\":       | true",
        "unknown field in totals   | \"totals\"\\s*:\\s*\\{        | \"totals\":{\"later\":\"x\",  | true",
        "older format, no root     | ,\"root\"\\s*:\\s*\\{[^}]*\\} | ''                            | true",
        "no unreadable count       | ,\"unreadable\"\\s*:\\s*\\d+ | ''                          | true",
        "null text                 | \"sha256\"\\s*:\\s*\"[0-9a-f]+\" | \"sha256\":null          | false",
        "time with an offset       | \"mtime\"\\s*:\\s*\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)Z\" | \"mtime\":\"$1+00:00\" | false",
        "empty entries             | \"entries\"\\s*:\\s*\\[.*\\]\\s*,\\s*\"totals\" | \"entries\":[],\"totals\" | true",
        "mtime to the nanosecond   | \"mtime\"\\s*:\\s*\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)Z\" | \"mtime\":\"$1.663848692Z\" | true",
        "mtime to a tenth          | \"mtime\"\\s*:\\s*\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)Z\" | \"mtime\":\"$1.5Z\" | true",
        "root mtime, nanoseconds   | (\"root\"\\s*:\\s*\\{[^}]*\"mtime\"\\s*:\\s*)\"[^\"]*\" | $1\"2024-03-01T10:15:30.000000001Z\" | true",
      })
  void otherWellFormedShapesReadAsTheBinderReadsThem(
      String label, String pattern, String replacement, boolean quick) throws Exception {
    String edited = json.replaceFirst(pattern, replacement);
    assertThat(edited).as("the edit applies").isNotEqualTo(json);
    Files.writeString(manifest, edited);
    Manifest bound = Json.MANIFEST.readValue(manifest.toFile());
    assertThat(ManifestParser.read(manifest.toFile())).isEqualTo(bound);
    if (quick) {
      assertThat(ManifestParser.fast(manifest.toFile())).isEqualTo(bound);
    } else {
      assertThatThrownBy(() -> ManifestParser.fast(manifest.toFile()))
          .isInstanceOf(ManifestParser.Unexpected.class);
    }
  }

  /** What the binder refuses, the reader refuses with the binder's own error. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "key twice        | \"formatVersion\"\\s*:\\s*(\\d+) | \"formatVersion\":5,\"formatVersion\":5",
        "entry key twice  | \"size\"\\s*:\\s*(\\d+)\\s*,     | \"size\":$1,\"size\":$1,",
        "totals key twice | \"compressedBytes\"\\s*:\\s*(\\d+) | \"compressedBytes\":$1,\"compressedBytes\":$1",
        "root key twice   | \"root\"\\s*:\\s*\\{          | \"root\":{\"gid\":0,\"gid\":0,",
        "other key twice  | \"entries\"\\s*:\\s*\\[\\s*\\{ | \"entries\":[{\"x\":1,\"x\":1,",
        "trailing object  | (?s)\\}\\s*$                     | '} {}'",
        "fraction size    | \"size\"\\s*:\\s*(\\d+)\\s*,     | \"size\":5.5,",
        "fraction inode   | \"inode\"\\s*:\\s*(\\d+)      | \"inode\":5.5",
        "ten digits       | \"mtime\"\\s*:\\s*\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)[.0-9]*Z\" | \"mtime\":\"$1.6638486921Z\"",
        "number as text   | \"size\"\\s*:\\s*(\\d+)\\s*,     | \"size\":\"5\",",
        "unknown type     | \"type\"\\s*:\\s*\"file\"        | \"type\":\"fifo\"",
        "huge number      | \"size\"\\s*:\\s*(\\d+)\\s*,     | \"size\":99999999999999999999999,",
        "entry not object | \"entries\"\\s*:\\s*\\[          | \"entries\":[\"x\",",
        "not JSON         | ^\\{                              | '{{'",
        "top not object   | (?s)^.*$                          | '[1]'",
      })
  void whatTheBinderRefusesFailsWithTheBindersError(
      String label, String pattern, String replacement) throws Exception {
    String edited = json.replaceFirst(pattern, replacement);
    assertThat(edited).as("the edit applies").isNotEqualTo(json);
    Files.writeString(manifest, edited);
    Throwable bound = catchIo(() -> Json.MANIFEST.readValue(manifest.toFile()));
    Throwable read = catchIo(() -> ManifestParser.read(manifest.toFile()));
    assertThat(bound).as("the binder refuses it").isNotNull();
    assertThat(read).isNotNull().hasSameClassAs(bound);
    assertThat(read.getMessage()).isEqualTo(bound.getMessage());
  }

  private interface Read {
    Manifest read() throws IOException;
  }

  private static Throwable catchIo(Read read) {
    try {
      read.read();
      return null;
    } catch (IOException e) {
      return e;
    }
  }
}
