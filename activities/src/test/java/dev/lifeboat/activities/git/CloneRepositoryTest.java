package dev.lifeboat.activities.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.command.ProgramRunner;
import dev.lifeboat.workflows.ActionFailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real git: urls and directories are data, never options or a command-running transport. */
class CloneRepositoryTest {
  @TempDir Path dir;
  private final List<List<String>> launched = new ArrayList<>();
  private final CloneRepository action =
      new CloneRepository(ProgramRunner.fromEnvironment().withLaunchListener(launched::add));

  private Map<String, Object> clone(String url, String into) throws Exception {
    return ActionDispatcher.invoke(
        action, Map.of("url", url, "dir", into), new LocalActionContext("clone"));
  }

  private void git(Path in, String... args) throws Exception {
    List<String> argv =
        new ArrayList<>(List.of("git", "-c", "user.name=t", "-c", "user.email=t@t.invalid"));
    argv.addAll(List.of(args));
    assertThat(
            new ProcessBuilder(argv)
                .directory(in.toFile())
                .redirectErrorStream(true)
                .start()
                .waitFor())
        .isZero();
  }

  @Test
  void clonesAFileRepositoryWithTheUrlAfterDoubleDash() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    git(work, "init", "-q");
    Files.writeString(work.resolve("README.md"), "platform");
    git(work, "add", "README.md");
    git(work, "commit", "-q", "-m", "first");
    Path into = dir.resolve("platform");
    clone(work.toUri().toString(), into.toString());
    assertThat(into.resolve("README.md")).hasContent("platform");
    List<String> argv = launched.get(0);
    assertThat(argv.subList(argv.indexOf("--"), argv.size()))
        .containsExactly("--", work.toUri().toString(), into.toString());
    assertThat(argv).contains("protocol.ext.allow=never");
  }

  @Test
  void anOptionLookingUrlIsRefusedAndRunsNothing() {
    Path marker = dir.resolve("x");
    assertThatThrownBy(() -> clone("--upload-pack=touch " + marker, dir.resolve("c").toString()))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT))
        .hasMessageContaining("'url' must not start with '-'");
    assertThatThrownBy(() -> clone("https://example.invalid/r.git", "--template=" + dir))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'dir' must not start with '-'");
    assertThat(marker).doesNotExist();
    assertThat(launched).isEmpty();
  }

  @Test
  void theCommandRunningExtTransportIsRefusedByGit() throws Exception {
    Path marker = dir.resolve("ext-ran");
    assertThatThrownBy(() -> clone("ext::sh -c touch% " + marker, dir.resolve("c").toString()))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("git-clone: cloning");
    assertThat(marker).doesNotExist();
  }
}
