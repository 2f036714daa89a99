package dev.lifeboat.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker that starts after a kill -9 removes what the dead writer left in the repository. */
class StartCleanupTest {
  @TempDir Path repository;

  @Test
  void leftoversOfInterruptedWritesAreRemovedAtStart() throws Exception {
    Path source = Files.createDirectories(repository.resolve("tier1/notebooks"));
    Path partial =
        Files.writeString(source.resolve(".20261122T020000Z.tar.gz.partial"), "half an archive");
    Path orphan = Files.writeString(source.resolve("20261122T020000Z.manifest.json"), "{}");
    Path keep = Files.writeString(source.resolve("latest"), "20261121T020000Z.tar.gz\n");
    StandardActions.create(WorkerSettings.of(repository, repository), () -> null);
    assertThat(partial).doesNotExist();
    assertThat(orphan).doesNotExist();
    assertThat(keep).exists();
  }
}
