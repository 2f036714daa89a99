package dev.lifeboat.activities.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.lifeboat.activities.action.Action;
import dev.lifeboat.activities.action.ActionDispatcher;
import dev.lifeboat.activities.action.LocalActionContext;
import dev.lifeboat.activities.action.Redactor;
import dev.lifeboat.activities.offsite.OffsiteConfig;
import dev.lifeboat.activities.offsite.Rclone;
import dev.lifeboat.activities.offsite.SyncOffsite;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each failure path of a child process, with a configured secret in the JVM's environment, the argv
 * and the output: the secret is in none of the error text, the failure sent to Temporal, the step
 * log.
 */
class SecretsStaySecretTest {
  static final String PASSWORD = "offsite-password-7f3c9a";
  static final String SALT = "offsite-salt-51d2e8";
  @TempDir Path dir;

  /** The JVM as configured in production: Lifeboat's own secrets in its environment. */
  private final Map<String, String> jvm = jvmEnvironment();

  private static Map<String, String> jvmEnvironment() {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("LIFEBOAT_OFFSITE_PASSWORD", PASSWORD);
    env.put("LIFEBOAT_OFFSITE_SALT", SALT);
    return env;
  }

  @AfterEach
  void forget() {
    Redactor.clear();
  }

  /** Runs the action through the dispatcher as Temporal does, returning what leaves it. */
  private String failureText(
      Action<?> action, Map<String, Object> args, LocalActionContext context) {
    Throwable direct = catchThrowable(() -> ActionDispatcher.invoke(action, args, context));
    Throwable toTemporal = catchThrowable(() -> ActionDispatcher.run(action, args, context));
    assertThat(direct).as("the action must fail").isNotNull();
    assertThat(toTemporal).isInstanceOf(ApplicationFailure.class);
    StringBuilder all = new StringBuilder();
    for (Throwable t : List.of(direct, toTemporal)) {
      for (Throwable c = t; c != null; c = c.getCause()) {
        all.append(c).append('\n');
        for (StackTraceElement e : c.getStackTrace()) {
          all.append(e).append('\n');
        }
      }
    }
    all.append(String.join("\n", context.logLines())).append('\n').append(context.lastMessage());
    return all.toString();
  }

  private void assertNoSecret(String text) {
    assertThat(text).doesNotContain(PASSWORD).doesNotContain(SALT);
  }

  @Test
  void programThatCannotStart() throws Exception {
    new OffsiteConfig(
        "local",
        Map.of(),
        dir.toString(),
        PASSWORD,
        SALT,
        dir); // configuring registers the secrets
    RunCommand command = new RunCommand(ProgramRunner.fromEnvironment(jvm));
    LocalActionContext context = new LocalActionContext("cmd");
    String text =
        failureText(
            command, Map.of("argv", List.of("/no/such/program-" + PASSWORD, PASSWORD)), context);
    assertThat(text).contains("was not found");
    assertNoSecret(text);

    // found but not executable by the kernel: setsid reports it, with the program's name only
    Path script = Files.writeString(dir.resolve("broken"), "#!/no/such/interpreter\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    LocalActionContext second = new LocalActionContext("cmd");
    String text2 =
        failureText(command, Map.of("argv", List.of(script.toString(), PASSWORD)), second);
    assertThat(text2).contains("exited with code");
    assertNoSecret(text2);
    assertThat(text2).doesNotContain("LIFEBOAT_").doesNotContain("PATH=");
  }

  @Test
  void argumentListTooLong() throws Exception {
    Redactor.add(PASSWORD, SALT);
    List<String> argv = new ArrayList<>(List.of("echo", PASSWORD));
    argv.addAll(
        Collections.nCopies(60, "x".repeat(100_000))); // 6 MB: more than the kernel's ARG_MAX
    LocalActionContext context = new LocalActionContext("cmd");
    String text =
        failureText(
            new RunCommand(ProgramRunner.fromEnvironment(jvm)), Map.of("argv", argv), context);
    assertThat(text).contains("could not start 'echo': error=7, Argument list too long");
    assertNoSecret(text);
    assertThat(text).doesNotContain("LIFEBOAT_").doesNotContain("x".repeat(5000));
  }

  @Test
  void outputThatPrintsTheSecret() throws Exception {
    Redactor.add(PASSWORD);
    LocalActionContext context = new LocalActionContext("cmd");
    String text =
        failureText(
            new RunCommand(ProgramRunner.fromEnvironment(jvm)),
            Map.of("argv", List.of("sh", "-c", "echo \"the password is $0\"; exit 3", PASSWORD)),
            context);
    assertThat(text).contains("the password is ***");
    assertNoSecret(text);
  }

  @Test
  void rcloneFailureWithABadRemote() throws Exception {
    Path repository = Files.createDirectories(dir.resolve("repository"));
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("file"), "data");
    // an archive to copy: a repository with none is refused before rclone runs
    new dev.lifeboat.activities.archive.Repository(repository)
        .writeFromDirectory(
            "set",
            "source",
            data,
            List.of(),
            List.of(),
            dev.lifeboat.activities.archive.ProgressListener.NONE);
    OffsiteConfig config =
        new OffsiteConfig(
            "nosuchbackend",
            Map.of("secret_access_key", SALT),
            "bucket/" + PASSWORD,
            PASSWORD,
            SALT,
            repository);
    SyncOffsite sync = new SyncOffsite(new Rclone(ProgramRunner.fromEnvironment(jvm)), config);
    LocalActionContext context = new LocalActionContext("sync");
    String text = failureText(sync, Map.of(), context);
    assertThat(text).contains("nosuchbackend");
    assertNoSecret(text);
  }
}
