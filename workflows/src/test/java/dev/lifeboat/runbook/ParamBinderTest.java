package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamBinderTest {
  private final Runbook runbook = TestActions.loader().parse("""
      name: restore
      params:
        - name: source
          required: true
          description: the archive to restore
        - name: keep
          type: integer
          default: 7
        - name: dryRun
          type: boolean
          default: false
        - name: window
          type: duration
        - name: members
          type: list
          default: [a, b]
        - name: labels
          type: map
        - name: note
      steps:
        - id: a
          action: verify
          with: {path: "${params.source}"}
      """, "restore.yaml");

  private ParamBinder.InvalidParam invalid(Map<String, ?> given) {
    ParamBinder.InvalidParam e = catchThrowableOfType(ParamBinder.InvalidParam.class,
        () -> ParamBinder.bind(runbook, given));
    assertThat(e).as("expected InvalidParam for " + given).isNotNull();
    return e;
  }

  @Test
  void defaultsAreFilledAndUnsetOptionalsLeftOut() {
    Map<String, Object> bound = ParamBinder.bind(runbook, Map.of("source", "/backups/x.tar.zst"));
    assertThat(bound).containsOnly(
        Map.entry("source", "/backups/x.tar.zst"),
        Map.entry("keep", 7L),
        Map.entry("dryRun", false),
        Map.entry("members", List.of("a", "b")));
  }

  @Test
  void valuesAreCoercedToTheDeclaredType() {
    Map<String, Object> given = new HashMap<>();
    given.put("source", 42);
    given.put("keep", "12");
    given.put("dryRun", "TRUE");
    given.put("window", "1h30m");
    given.put("members", "x, y ,z");
    given.put("labels", Map.of("k", "v"));
    given.put("note", true);
    Map<String, Object> bound = ParamBinder.bind(runbook, given);
    assertThat(bound).containsEntry("source", "42")
        .containsEntry("keep", 12L)
        .containsEntry("dryRun", true)
        .containsEntry("window", "1h30m")
        .containsEntry("members", List.of("x", "y", "z"))
        .containsEntry("labels", Map.of("k", "v"))
        .containsEntry("note", "true");
  }

  @Test
  void integerFromJsonKeepsItsValue() {
    assertThat(ParamBinder.bind(runbook, Map.of("source", "s", "keep", 3))).containsEntry("keep", 3L);
  }

  @Test
  void unknownParameterIsNamedWithTheKnownOnes() {
    ParamBinder.InvalidParam e = invalid(Map.of("source", "s", "sorce", "t"));
    assertThat(e.param()).isEqualTo("sorce");
    assertThat(e.getMessage()).contains("parameter 'sorce'", "runbook 'restore' has no such parameter",
        "source, keep, dryRun");
  }

  @Test
  void missingRequiredParameterIsNamedWithItsDescription() {
    ParamBinder.InvalidParam e = invalid(Map.of("keep", 3));
    assertThat(e.param()).isEqualTo("source");
    assertThat(e.getMessage()).isEqualTo("parameter 'source': is required (the archive to restore)");
    assertThat(invalid(Map.of("source", "  ")).getMessage()).contains("parameter 'source'", "must not be empty");
    assertThat(invalid(null).param()).isEqualTo("source");
  }

  @Test
  void coercionErrorsNameTheParameter() {
    ParamBinder.InvalidParam e = invalid(Map.of("source", "s", "keep", "lots"));
    assertThat(e.param()).isEqualTo("keep");
    assertThat(e.getMessage()).contains("parameter 'keep'", "'lots' is not an integer");

    e = invalid(Map.of("source", "s", "dryRun", "maybe"));
    assertThat(e.param()).isEqualTo("dryRun");
    assertThat(e.getMessage()).contains("parameter 'dryRun'", "expected a boolean", "'maybe'");

    e = invalid(Map.of("source", "s", "window", "soon"));
    assertThat(e.param()).isEqualTo("window");
    assertThat(e.getMessage()).contains("parameter 'window'", "'soon' is not a duration");

    e = invalid(Map.of("source", "s", "labels", List.of("a")));
    assertThat(e.param()).isEqualTo("labels");
    assertThat(e.getMessage()).contains("parameter 'labels'", "expected a map but got a list");

    e = invalid(Map.of("source", Map.of("a", 1)));
    assertThat(e.param()).isEqualTo("source");
    assertThat(e.getMessage()).contains("expected a string but got an object");

    e = invalid(Map.of("source", "s", "keep", 2.5));
    assertThat(e.param()).isEqualTo("keep");
    assertThat(e.getMessage()).isEqualTo("parameter 'keep': expected an integer but got '2.5'");
  }

  @Test
  void blankNonStringFallsBackToDefault() {
    assertThat(ParamBinder.bind(runbook, Map.of("source", "s", "keep", " "))).containsEntry("keep", 7L);
  }
}
