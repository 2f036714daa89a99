package dev.lifeboat.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names as a user's disk has them, through the real jar: bytes that are not UTF-8 come back
 * under a %XX name GNU tar restores too; a server started under the C locale (which makes Java read
 * names as ASCII) says so in its log and skips, with the reason, only what it cannot name.
 */
class FileNameEncodingTest {
  @TempDir Path tmp;
  @AutoClose private LifeboatProcess lifeboat;

  @Test
  void latin1NamesAreArchivedEscapedAndGnuTarRestoresThem() throws Exception {
    Path source = names(tmp.resolve("src/home"));
    lifeboat =
        LifeboatProcess.start(
            tmp, tmp.resolve("repository"), LifeboatProcess.shippedRunbooks(), Map.of());
    JsonNode output = backup(source);
    assertThat(output.path("files").asLong()).as("backup: %s", output).isEqualTo(3);
    assertThat(paths(output.path("changed"))).containsExactly("caf%E9.txt");

    Path extracted = Files.createDirectories(tmp.resolve("by-tar"));
    Trees.Result tar =
        Trees.run("tar", "xzf", output.path("path").asText(), "-C", extracted.toString());
    assertThat(tar.exit()).as("tar: %s", tar.output()).isZero();
    assertThat(Files.readString(extracted.resolve("caf%E9.txt"))).isEqualTo("latin-1\n");
    assertThat(Files.readString(extracted.resolve("café.txt"))).isEqualTo("utf-8\n");
  }

  @Test
  void underTheCLocaleTheLogSaysSoAndOnlyNonAsciiNamesAreSkippedWithTheReason() throws Exception {
    Path source = names(tmp.resolve("src/home"));
    lifeboat =
        LifeboatProcess.start(
            tmp,
            tmp.resolve("repository"),
            LifeboatProcess.shippedRunbooks(),
            Map.of("LC_ALL", "C", "LANG", "C"));
    assertThat(lifeboat.log()).contains("file names are read as").contains("LC_ALL=C.UTF-8");
    JsonNode output = backup(source);
    assertThat(output.path("files").asLong()).as("backup: %s", output).isEqualTo(2);
    assertThat(output.path("skipped"))
        .singleElement()
        .satisfies(
            s -> assertThat(s.path("reason").asText()).contains("not UTF-8").contains("locale"));
  }

  @Test
  void aRestoreUnderTheCLocaleIsRefusedBeforeAnythingIsWrittenAndSaysWhy() throws Exception {
    Path source = names(tmp.resolve("src/home"));
    Path repository = tmp.resolve("repository");
    lifeboat = LifeboatProcess.start(tmp, repository, LifeboatProcess.shippedRunbooks(), Map.of());
    backup(source);
    lifeboat.kill9();
    lifeboat =
        LifeboatProcess.start(
            tmp, repository, LifeboatProcess.shippedRunbooks(), Map.of("LC_ALL", "C", "LANG", "C"));
    Path target = tmp.resolve("restored/home");
    JsonNode run =
        lifeboat.awaitEnd(
            lifeboat.startRun("local-restore", Map.of("path", target.toString(), "source", "home")),
            Duration.ofSeconds(120));
    assertThat(run.path("status").asText()).as("%s", run).isEqualTo("FAILED");
    JsonNode step = LifeboatProcess.step(run, "restore");
    String error = step.path("lastError").asText() + " " + run.path("error").asText();
    assertThat(error).contains("nothing was written").contains("UTF-8 locale");
    assertThat(target).as("no half tree").doesNotExist();
  }

  private JsonNode backup(Path source) {
    String id = lifeboat.startRun("local-backup", Map.of("path", source.toString()));
    JsonNode run = lifeboat.awaitCompleted(id, Duration.ofSeconds(120));
    return LifeboatProcess.step(run, "archive").path("output");
  }

  /** café.txt in Latin-1 and in UTF-8, and a plain one, made by the shell. */
  private static Path names(Path dir) throws Exception {
    Files.createDirectories(dir);
    Trees.Result r =
        Trees.run(
            "sh",
            "-c",
            "cd '"
                + dir
                + "' && printf 'latin-1\\n' > \"$(printf 'caf\\351.txt')\""
                + " && printf 'utf-8\\n' > 'café.txt' && printf 'ok\\n' > ok.txt");
    assertThat(r.exit()).as("sh: %s", r.output()).isZero();
    return dir;
  }

  private static List<String> paths(JsonNode notes) {
    List<String> out = new ArrayList<>();
    notes.forEach(n -> out.add(n.path("path").asText()));
    return out;
  }
}
