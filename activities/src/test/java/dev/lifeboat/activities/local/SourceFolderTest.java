package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source name taken from a folder's own holds the backups of that folder: another folder of the
 * same name is refused while the first is still there, so the two never share a retention chain or
 * a latest. A folder that moved hands its source on, and a name the user gives is theirs.
 */
class SourceFolderTest {
  @TempDir Path tmp;
  Repository repo;
  Path alice;
  Path bob;

  @BeforeEach
  void setUp() throws Exception {
    repo = new Repository(tmp.resolve("repo"));
    alice = Files.createDirectories(tmp.resolve("alice/notebooks"));
    bob = Files.createDirectories(tmp.resolve("bob/notebooks"));
    Files.writeString(alice.resolve("a.ipynb"), "alice's");
    Files.writeString(bob.resolve("b.ipynb"), "bob's");
  }

  @Test
  void anotherFolderOfTheDefaultNameIsRefusedAndTheFirstKeepsItsArchives() throws Exception {
    Map<String, Object> first = backup(Map.of("path", alice.toString()));
    assertThat(first).containsEntry("source", "notebooks");
    ArchiveInfo alices = repo.list("local", "notebooks").get(0);
    assertThat(repo.manifest(alices.ref()).root().path()).isEqualTo(alice.toRealPath().toString());
    assertThatThrownBy(() -> backup(Map.of("path", bob.toString())))
        .isInstanceOf(ActionException.class)
        .satisfies(e -> assertThat(((ActionException) e).type()).isEqualTo("InvalidArgument"))
        .hasMessageContaining("source 'notebooks' holds backups of " + alice.toRealPath())
        .hasMessageContaining(bob.toRealPath().toString())
        .hasMessageContaining("'source' parameter");
    assertThat(repo.list("local", "notebooks")).containsExactly(alices);
    // a name of its own, or one the user gives knowingly, is all it takes
    assertThat(backup(Map.of("path", bob.toString(), "source", "bob-notebooks")))
        .containsEntry("files", 1L);
    assertThat(backup(Map.of("path", bob.toString(), "source", "notebooks")))
        .containsEntry("source", "notebooks");
  }

  @Test
  void theSameFolderThroughALinkAndAFolderThatMovedKeepTheirSource() throws Exception {
    backup(Map.of("path", alice.toString()));
    Path link = Files.createDirectories(tmp.resolve("links")).resolve("notebooks");
    Files.createSymbolicLink(link, alice);
    assertThat(backup(Map.of("path", link.toString()))).containsEntry("source", "notebooks");
    // after a loss the folder comes back elsewhere: the old one is gone, the source goes on
    Files.move(alice, tmp.resolve("alice/notebooks-before"));
    assertThat(backup(Map.of("path", bob.toString()))).containsEntry("source", "notebooks");
    assertThat(repo.list("local", "notebooks")).hasSize(3);
  }

  private Map<String, Object> backup(Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(new BackupAction(repo), args, new LocalActionContext("backup"));
  }
}
