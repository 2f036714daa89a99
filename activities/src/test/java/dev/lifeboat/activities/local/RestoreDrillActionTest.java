package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.ProgressListener;
import dev.lifeboat.activities.archive.Repository;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreDrillActionTest {
  @TempDir
  Path tmp;

  @Test
  void drillsRandomArchivesAndLeavesNoScratchBehind() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    for (String source : List.of("notebooks", "models", "datasets")) {
      Path src = Files.createDirectories(tmp.resolve("src").resolve(source).resolve("sub dir"));
      Files.writeString(src.resolve("Überblick " + source + ".ipynb"), "{\"cells\": [\"" + source + "\"]}");
      Files.createLink(src.resolve("again.ipynb"), src.resolve("Überblick " + source + ".ipynb"));
      repo.writeFromDirectory("tier1", source, src.getParent(), List.of(), List.of(), ProgressListener.NONE);
    }
    Path scratch = tmp.resolve("scratch");
    Set<String> drilled = new HashSet<>();
    for (int i = 0; i < 30 && drilled.size() < 3; i++) {
      Map<String, Object> out = ActionDispatcher.invoke(new RestoreDrillAction(repo),
          Map.of("set", "tier1", "scratch", scratch.toString()), new LocalActionContext("drill"));
      assertThat(out).containsEntry("ok", true).containsEntry("restoredFiles", 1L);
      drilled.add((String) out.get("source"));
      try (Stream<Path> left = Files.list(scratch)) {
        assertThat(left).as("scratch copy removed").isEmpty();
      }
    }
    assertThat(drilled).as("random picks reach every source").containsExactlyInAnyOrder("notebooks", "models",
        "datasets");
  }

  @Test
  void aDamagedArchiveFailsTheDrillNamingIt() throws Exception {
    Repository repo = new Repository(tmp.resolve("repo"));
    Path src = Files.createDirectories(tmp.resolve("src/models"));
    Files.write(src.resolve("weights.bin"), new byte[200_000]);
    repo.writeFromDirectory("tier1", "models", src, List.of(), List.of(), ProgressListener.NONE);
    ArchiveInfo archive = repo.list("tier1", "models").get(0);
    try (RandomAccessFile f = new RandomAccessFile(archive.path().toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 0xff);
    }
    assertThatThrownBy(() -> ActionDispatcher.invoke(new RestoreDrillAction(repo), Map.of("set", "tier1"),
        new LocalActionContext("drill"))).isInstanceOf(ActionException.class)
        .hasMessageContaining(archive.name());
  }

  @Test
  void nothingToDrillIsAClearError() {
    Repository repo = new Repository(tmp.resolve("empty"));
    assertThatThrownBy(() -> ActionDispatcher.invoke(new RestoreDrillAction(repo), Map.of(),
        new LocalActionContext("drill"))).isInstanceOf(ActionException.class).hasMessageContaining("no archives to drill");
    assertThatThrownBy(() -> ActionDispatcher.invoke(new RestoreDrillAction(repo), Map.of("source", "x"),
        new LocalActionContext("drill"))).hasMessageContaining("'source' needs 'set'");
  }
}
