package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Action argument constraints: checked for literal values on load and for parameter values before a
 * run.
 */
class ArgRulesTest {
  static List<ActionSignature> signatures() {
    List<ActionSignature> out = new ArrayList<>(TestActions.signatures());
    out.add(
        ActionSignature.of(
            "prune",
            "Remove old archives",
            List.of(
                new ArgSpec("set", "string", true, ""),
                new ArgSpec(
                    "keepLast",
                    "integer",
                    false,
                    "",
                    true,
                    null,
                    (long) Integer.MAX_VALUE,
                    null,
                    List.of()),
                new ArgSpec("keepWithin", "duration", false, "", true, null, null, null, List.of()),
                new ArgSpec(
                    "mode", "string", false, "", false, null, null, null, List.of("fast", "safe")),
                new ArgSpec("replicas", "integer", false, "", false, 0L, null, null, List.of()),
                new ArgSpec("tag", "string", false, "", false, null, null, "[a-z]+", List.of()))));
    return out;
  }

  private final RunbookLoader loader = new RunbookLoader(signatures());

  private static final String RUNBOOK =
      """
      name: keep
      params:
        - name: keepWithin
          type: duration
          default: 30d
        - name: keepLast
          type: integer
          default: 3
        - name: tag
        - name: where
      steps:
        - id: archive
          action: backup
          with: {source: "${params.where}"}
        - id: prune
          action: prune
          with:
            set: "x"
            keepWithin: ${params.keepWithin}
            keepLast: ${params.keepLast}
            tag: "v${params.tag}"
      """;

  private void check(Map<String, Object> given) {
    Runbook rb = loader.parse(RUNBOOK, "keep.yaml");
    ArgRules.checkParams(rb, loader.actions(), ParamBinder.bind(rb, given));
  }

  @Test
  void aLiteralValueTheActionRefusesIsARunbookErrorWithItsLine() {
    Throwable t =
        catchThrowable(
            () ->
                loader.parse(
                    """
        name: keep
        steps:
          - id: prune
            action: prune
            with:
              set: x
              keepWithin: 0s
        """,
                    "keep.yaml"));
    assertThat(t).isInstanceOf(RunbookProblem.class);
    assertThat(((RunbookProblem) t).line()).isEqualTo(7);
    assertThat(((RunbookProblem) t).reason())
        .contains("step 'prune'", "keepWithin", "longer than 0");

    assertThat(
            catchThrowable(
                () ->
                    loader.parse(
                        """
        name: keep
        steps:
          - id: prune
            action: prune
            with: {set: x, keepLast: 0}
        """,
                        "keep.yaml")))
        .hasMessageContaining("keepLast")
        .hasMessageContaining("at least 1");
    assertThat(
            catchThrowable(
                () ->
                    loader.parse(
                        """
        name: keep
        steps:
          - id: prune
            action: prune
            with: {set: x, mode: quick, replicas: -1}
        """,
                        "keep.yaml")))
        .hasMessageContaining("'quick' is not one of fast, safe");
    assertThat(
            catchThrowable(
                () ->
                    loader.parse(
                        """
        name: keep
        steps:
          - id: prune
            action: prune
            with: {set: x, keepWithin: soon}
        """,
                        "keep.yaml")))
        .hasMessageContaining("'soon' is not a duration");
  }

  @Test
  void parameterValuesAreCheckedAgainstTheArgumentsTheyFlowInto() {
    check(Map.of("keepWithin", "7d", "keepLast", 1, "tag", "abc"));

    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> check(Map.of("keepWithin", "0s")));
    assertThat(e).isNotNull();
    assertThat(e.param()).isEqualTo("keepWithin");
    assertThat(e.getMessage()).contains("step 'prune'", "keepWithin", "longer than 0");

    e = catchThrowableOfType(ParamBinder.InvalidParam.class, () -> check(Map.of("keepLast", 0)));
    assertThat(e.param()).isEqualTo("keepLast");

    // inside a longer text: "v" + "ABC" does not match [a-z]+
    e = catchThrowableOfType(ParamBinder.InvalidParam.class, () -> check(Map.of("tag", "ABC")));
    assertThat(e.param()).isEqualTo("tag");
    assertThat(e.getMessage()).contains("does not match");

    // a value that looks like a reference is data once bound: checked, not waved through
    e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> check(Map.of("tag", "${params.keepLast}")));
    assertThat(e.param()).isEqualTo("tag");
    assertThat(e.getMessage()).contains("does not match");
    e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> check(Map.of("keepWithin", "${params.tag}")));
    assertThat(e.param()).isEqualTo("keepWithin");
  }

  @Test
  void anIntegerPastItsArgumentsTypeIsRefusedBeforeTheRunNotByTheLastStep() {
    // before: the backup ran and prune failed on "Numeric value ... out of range of int"
    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> check(Map.of("keepLast", Long.MAX_VALUE)));
    assertThat(e.param()).isEqualTo("keepLast");
    assertThat(e.getMessage())
        .contains("step 'prune'", "must be at most 2147483647, got 9223372036854775807");

    e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> check(Map.of("keepLast", 2147483648L)));
    assertThat(e.getMessage()).contains("must be at most 2147483647");

    check(Map.of("keepLast", Integer.MAX_VALUE));
  }

  @Test
  void aLiteralIntegerTooLargeForLongIsARunbookError() {
    Throwable t =
        catchThrowable(
            () ->
                loader.parse(
                    """
        name: keep
        steps:
          - id: prune
            action: prune
            with: {set: x, keepLast: "99999999999999999999999"}
        """,
                    "keep.yaml"));
    assertThat(t)
        .hasMessageContaining("keepLast")
        .hasMessageContaining("is too large (at most 2147483647)");
  }

  @Test
  void aRunbookFileLargerThanTheLimitIsInvalidUnread(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.yaml");
    Files.writeString(big, "name: big\n# " + "x".repeat((int) RunbookLoader.MAX_FILE_BYTES) + "\n");
    LoadedRunbook r = loader.load(big);
    assertThat(r).isInstanceOf(LoadedRunbook.Invalid.class);
    assertThat(((LoadedRunbook.Invalid) r).reason()).contains("at most 256 KiB");
  }
}
