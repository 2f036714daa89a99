package dev.lifeboat.activities.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.local.BackupAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup from: pvc} end to end (helper pod, exec of real GNU tar, the repository): the
 * second backup reports what it copied from the first, and {@code full: true} copies nothing.
 */
class PvcBackupReuseTest {
  static final String NS = "ml";

  @TempDir Path tmp;
  MockCluster cluster;
  BackupAction backup;
  Repository repository;

  @BeforeEach
  void start() throws Exception {
    cluster = new MockCluster(tmp.resolve("volumes"));
    cluster.namespace(NS);
    cluster.pvc(NS, "home", "ReadWriteOnce");
    Path data = cluster.pvcDir(NS, "home");
    Files.createDirectories(data.resolve("notebooks"));
    Files.writeString(data.resolve("notebooks/train.ipynb"), "{\"cells\": []}\n".repeat(300));
    Files.writeString(data.resolve("notebooks/eval.ipynb"), "{\"cells\": [1]}\n".repeat(200));
    Files.write(data.resolve("weights.bin"), new byte[200_000]);
    repository = new Repository(tmp.resolve("repo"));
    backup = new BackupAction(repository, new PodVolumes(cluster.clients()));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Map<String, Object> backup(boolean full) throws Exception {
    Map<String, Object> out =
        ActionDispatcher.invoke(
            backup,
            Map.of("from", "pvc", "namespace", NS, "pvc", "home", "full", full),
            new LocalActionContext("backup"));
    // as the backup runbooks do: only a verified archive is copied from
    ActionDispatcher.invoke(
        new dev.lifeboat.activities.local.VerifyAction(repository),
        Map.of("archive", out.get("path")),
        new LocalActionContext("verify"));
    return out;
  }

  @Test
  void aSecondPvcBackupCopiesUnchangedFilesAndFullCopiesNone() throws Exception {
    Map<String, Object> first = backup(false);
    assertThat(first).containsEntry("files", 3L).containsEntry("reusedFiles", 0L);

    Files.writeString(cluster.pvcDir(NS, "home").resolve("notebooks/eval.ipynb"), "changed\n");
    Map<String, Object> second = backup(false);
    assertThat(second)
        .containsEntry("files", 3L)
        .containsEntry("reusedFiles", 2L)
        .containsEntry("reusedBytes", 200_000L + 300L * 14);

    Map<String, Object> full = backup(true);
    assertThat(full).containsEntry("files", 3L).containsEntry("reusedFiles", 0L);
  }
}
