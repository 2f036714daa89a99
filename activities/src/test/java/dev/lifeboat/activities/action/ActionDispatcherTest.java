package dev.lifeboat.activities.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ActionDispatcherTest {
  /** Opens the path it is given, as the backup and restore actions do. */
  record Args(String path) {}

  static final class Opens implements Action<Args> {
    @Override
    public String name() {
      return "opens";
    }

    @Override
    public String description() {
      return "opens a path";
    }

    @Override
    public Class<Args> argumentsType() {
      return Args.class;
    }

    @Override
    public Object run(Args args, ActionContext context) throws Exception {
      if (args.path().equals("/fails/once")) {
        throw new java.io.IOException("the disk hiccuped");
      }
      if (args.path().equals("/root/secret")) {
        throw new java.nio.file.AccessDeniedException(args.path());
      }
      return Map.of("name", Path.of(args.path()).getFileName().toString());
    }
  }

  @Test
  void aPathNoFileCanHaveFailsOnceNamingItAndOtherFailuresAreRetried() {
    ApplicationFailure f =
        catchThrowableOfType(
            ApplicationFailure.class,
            () ->
                ActionDispatcher.run(
                    new Opens(),
                    Map.of("path", "/tmp/src/\ud800x"),
                    new LocalActionContext("step")));
    assertThat(f.isNonRetryable()).as("every attempt would fail the same way").isTrue();
    assertThat(f.getType()).isEqualTo("InvalidArgument");
    assertThat(f.getOriginalMessage())
        .contains("action 'opens'")
        .contains("/tmp/src/")
        .contains("is not a path this system can name");

    ApplicationFailure io =
        catchThrowableOfType(
            ApplicationFailure.class,
            () ->
                ActionDispatcher.run(
                    new Opens(), Map.of("path", "/fails/once"), new LocalActionContext("step")));
    assertThat(io.isNonRetryable()).isFalse();

    ApplicationFailure denied =
        catchThrowableOfType(
            ApplicationFailure.class,
            () ->
                ActionDispatcher.run(
                    new Opens(), Map.of("path", "/root/secret"), new LocalActionContext("step")));
    assertThat(denied.isNonRetryable()).isTrue();
    assertThat(denied.getOriginalMessage())
        .contains("action 'opens': permission denied: /root/secret (Lifeboat runs as user ");
  }
}
