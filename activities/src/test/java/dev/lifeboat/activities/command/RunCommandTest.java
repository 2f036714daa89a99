package dev.lifeboat.activities.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.workflows.ActionFailureTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  private final List<List<String>> launched = new ArrayList<>();
  private final RunCommand action =
      new RunCommand(ProgramRunner.fromEnvironment().withLaunchListener(launched::add));
  private final LocalActionContext context = new LocalActionContext("cmd");

  private Map<String, Object> run(Map<String, Object> args) throws Exception {
    return ActionDispatcher.invoke(action, args, context);
  }

  @Test
  void runsProgramAndReportsExitCodeLinesAndTail() throws Exception {
    Map<String, Object> out = run(Map.of("argv", List.of("seq", "1", "25")));
    assertThat(out).containsEntry("exitCode", 0).containsEntry("lines", 25L);
    assertThat((String) out.get("tail")).startsWith("6\n").endsWith("\n25");
    assertThat(context.logLines()).contains("$ seq 1 25", "1", "25");
  }

  @Test
  void argumentsAreNeverInterpretedByAShell(@TempDir Path dir) throws Exception {
    Path marker = dir.resolve("pwned");
    Map<String, Object> out = run(Map.of("argv", List.of("echo", "$HOME; touch " + marker)));
    assertThat(out.get("tail")).isEqualTo("$HOME; touch " + marker);
    assertThat(marker).doesNotExist();
    assertThat(launched.get(0)).hasSize(2).endsWith("$HOME; touch " + marker);
  }

  @Test
  void usesWorkdirAndEnvironment(@TempDir Path dir) throws Exception {
    Map<String, Object> out =
        run(
            Map.of(
                "argv",
                List.of("sh", "-c", "pwd; echo \"$LIFEBOAT_TEST\""),
                "workdir",
                dir.toString(),
                "env",
                Map.of("LIFEBOAT_TEST", "hello")));
    assertThat(out.get("tail")).isEqualTo(dir.toRealPath() + "\nhello");
  }

  @Test
  void childSeesExactlyTheConfiguredEnvironment() throws Exception {
    RunCommand clean =
        new RunCommand(
            ProgramRunner.withEnvironment(Map.of("PATH", "/usr/bin:/bin", "ONLY_THIS", "1")));
    Map<String, Object> out =
        ActionDispatcher.invoke(clean, Map.of("argv", List.of("env")), context);
    // and the mark of the server that started it, for ending it should that server be killed
    assertThat(((String) out.get("tail")).lines().sorted().toList())
        .hasSize(3)
        .contains("ONLY_THIS=1", "PATH=/usr/bin:/bin")
        .anyMatch(
            l ->
                l.startsWith(
                    ProgramGroups.OWNER_VARIABLE + "=" + ProcessHandle.current().pid() + ":"));
  }

  @Test
  void lifeboatsOwnConfigurationNeverReachesAChild() throws Exception {
    Map<String, String> jvm = new java.util.HashMap<>(System.getenv());
    jvm.put("LIFEBOAT_OFFSITE_PASSWORD", "hunter2-offsite");
    jvm.put("LIFEBOAT_OFFSITE_SALT", "pepper-salt");
    jvm.put("LIFEBOAT_API_TOKEN", "token-of-the-owner");
    jvm.put("AWS_SECRET_ACCESS_KEY", "aws-secret");
    jvm.put("LANG", "C.UTF-8");
    jvm.put("HOME", "/root");
    RunCommand filtered = new RunCommand(ProgramRunner.fromEnvironment(jvm));
    Map<String, Object> out =
        ActionDispatcher.invoke(
            filtered,
            Map.of("argv", List.of("env"), "env", Map.of("STEP_VAR", "given by the runbook")),
            context);
    List<String> names =
        ((String) out.get("tail")).lines().map(l -> l.substring(0, l.indexOf('='))).toList();
    assertThat(names)
        .contains("PATH", "HOME", "LANG", "STEP_VAR")
        .allMatch(
            n ->
                ProgramRunner.PASSED_ON.contains(n)
                    || n.equals("STEP_VAR")
                    || n.equals(ProgramGroups.OWNER_VARIABLE),
            "only the passed-on variables");
    assertThat((String) out.get("tail"))
        .doesNotContain("hunter2-offsite", "pepper-salt", "token-of-the-owner", "aws-secret");
  }

  @Test
  void nonZeroExitFailsNamingProgramCodeAndOutput() {
    assertThatThrownBy(
            () -> run(Map.of("argv", List.of("sh", "-c", "echo disk is full >&2; exit 3"))))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.CHECK_FAILED))
        .hasMessageContaining("'sh' exited with code 3")
        .hasMessageContaining("disk is full");
  }

  @Test
  void okExitCodesAreHonoured() throws Exception {
    Map<String, Object> out =
        run(Map.of("argv", List.of("sh", "-c", "exit 1"), "okExitCodes", List.of(0, 1)));
    assertThat(out).containsEntry("exitCode", 1);
  }

  @Test
  void missingProgramIsNamed() {
    assertThatThrownBy(() -> run(Map.of("argv", List.of("no-such-program-xyz", "--help"))))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("'no-such-program-xyz' was not found");
  }

  @Test
  void timeoutKillsTheChild() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> run(Map.of("argv", List.of("sleep", "30"), "timeout", "1s")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("did not finish within 1.0s and was killed");
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
  }

  @Test
  void cancellationKillsTheChildAndItsChildren(@TempDir Path dir) throws Exception {
    Path pidFile = dir.resolve("pid");
    CompletableFuture<Map<String, Object>> running =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return run(
                    Map.of(
                        "argv", List.of("sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait")));
              } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    long deadline = System.currentTimeMillis() + 10_000;
    while (!(Files.exists(pidFile) && Files.size(pidFile) > 0)
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    long grandchild = Long.parseLong(Files.readString(pidFile).trim());
    context.cancel();
    assertThatThrownBy(() -> running.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(CancellationException.class);
    // the runner waits for the group to go before it returns
    assertThat(running(grandchild)).isFalse();
  }

  /** Alive and not a zombie (a killed orphan may wait for a reaper in a container). */
  static boolean running(long pid) throws java.io.IOException {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (!Files.exists(stat)) {
      return false;
    }
    String s = Files.readString(stat);
    return !s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
  }

  @Test
  void badArgumentsAreInvalid() {
    assertThatThrownBy(() -> run(Map.of("argv", List.of())))
        .isInstanceOfSatisfying(
            ActionException.class,
            e -> assertThat(e.type()).isEqualTo(ActionFailureTypes.INVALID_ARGUMENT));
    assertThatThrownBy(() -> run(Map.of("argv", List.of("true"), "timeout", "soon")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("not a duration");
    assertThatThrownBy(() -> run(Map.of("argv", List.of("true"), "workdir", "/no/such/dir")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("/no/such/dir");
  }
}
