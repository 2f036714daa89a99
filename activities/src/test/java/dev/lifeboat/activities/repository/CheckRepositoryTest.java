package dev.lifeboat.activities.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.BackupResult;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check-repository}: a missing or empty drive is an answer, never a failure. */
class CheckRepositoryTest {
  @TempDir Path tmp;

  private Map<String, Object> check(Path defaultRoot, Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(
        new CheckRepository(defaultRoot), args, new LocalActionContext("drive"));
  }

  private BackupResult archive(Path root, String set, String source, Instant at) throws Exception {
    Path src = tmp.resolve("src-" + at.getEpochSecond());
    Files.createDirectories(src);
    Files.writeString(src.resolve("notebook.ipynb"), "{\"cells\": []}");
    return new Repository(root, Clock.fixed(at, ZoneOffset.UTC))
        .writeFromDirectory(set, source, src, List.of(), List.of(), ProgressListener.NONE);
  }

  @Test
  void aMissingDriveIsAnAnswer() throws Exception {
    Map<String, Object> out =
        check(
            tmp,
            Map.of(
                "path",
                tmp.resolve("media/external-ssd").toString(),
                "set",
                "tier2",
                "source",
                "shared"));
    assertThat(out)
        .containsEntry("available", false)
        .containsEntry("missing", true)
        .containsEntry("archives", 0);
    assertThat(out.get("latest")).isNull();
    assertThat((String) out.get("reason"))
        .contains("media/external-ssd is not there")
        .contains("plugged in and mounted");
  }

  @Test
  void aDriveWithoutThatSourceIsNotAvailable() throws Exception {
    Path drive = tmp.resolve("drive");
    archive(drive, "tier1", "notebooks", Instant.parse("2026-11-20T02:00:00Z"));
    Map<String, Object> out =
        check(tmp, Map.of("path", drive.toString(), "set", "tier2", "source", "shared"));
    assertThat(out).containsEntry("available", false);
    assertThat((String) out.get("reason"))
        .contains("holds no archive of set 'tier2', source 'shared'");
  }

  @Test
  void anArchiveWithoutItsManifestDoesNotCount() throws Exception {
    Path drive = tmp.resolve("drive");
    BackupResult b = archive(drive, "tier2", "shared", Instant.parse("2026-11-20T04:00:00Z"));
    Files.delete(b.ref().manifestPath());
    assertThat(check(tmp, Map.of("path", drive.toString(), "set", "tier2", "source", "shared")))
        .containsEntry("available", false);
  }

  @Test
  void findsTheLatestArchiveOnTheDriveOrInTheConfiguredRepository() throws Exception {
    Path drive = tmp.resolve("drive");
    archive(drive, "tier2", "shared", Instant.parse("2026-11-15T04:00:00Z"));
    BackupResult newest = archive(drive, "tier2", "shared", Instant.parse("2026-11-22T04:00:00Z"));

    Map<String, Object> out =
        check(tmp, Map.of("path", drive.toString(), "set", "tier2", "source", "shared"));
    assertThat(out)
        .containsEntry("available", true)
        .containsEntry("missing", false)
        .containsEntry("archives", 2)
        .containsEntry("latest", newest.ref().path().toString())
        .containsEntry("latestName", "20261122T040000Z.tar.gz")
        .containsEntry("latestCreatedAt", "2026-11-22T04:00:00Z");
    assertThat((String) out.get("reason")).contains("2 archive(s) of tier2/shared");

    assertThat(check(drive, Map.of("set", "tier2", "source", "shared")))
        .as("no path: the configured repository")
        .containsEntry("available", true)
        .containsEntry("path", drive.toString());
  }

  @Test
  void argumentMistakesAreErrors() {
    assertThatThrownBy(
            () -> check(tmp, Map.of("path", "relative/drive", "set", "tier2", "source", "shared")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("absolute");
    assertThatThrownBy(() -> check(tmp, Map.of("set", "../etc", "source", "shared")))
        .isInstanceOf(ActionException.class);
  }
}
