package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.runbook.Expressions.UnresolvedReference;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code ${...}} rules: parsing each root, where each may be used, and resolving it. */
class ReferenceTest {
  private static final Set<String> PARAMS = Set.of("path", "opts");
  private static final List<String> EARLIER = List.of("backup");
  private static final Set<String> ALL_IDS = Set.of("backup", "check", "upload");

  private final Runbook runbook =
      TestActions.loader()
          .parse(
              """
          name: nightly
          params:
            - name: path
            - name: opts
              required: false
            - name: unset
              required: false
          steps:
            - id: backup
              action: backup
              with: {source: "${params.path}"}
          """,
              "rb.yaml");

  private final Reference.Scope scope =
      new Reference.Scope(
          runbook,
          Map.of("path", "/data", "opts", Map.of("level", 9)),
          Map.of("backup", Map.of("archive", "a.tar.gz", "files", List.of("x", "y"))),
          Map.of("name", "db"),
          Map.of("id", "run-1", "startedAt", 42L));

  private static String why(String text) {
    return catchWhy(() -> Reference.parse(text));
  }

  private static String whyIn(String text, String stepId, boolean inForEach) {
    return Reference.parse(text).problem(PARAMS, EARLIER, ALL_IDS, stepId, inForEach).orElse(null);
  }

  private static String catchWhy(Runnable r) {
    try {
      r.run();
    } catch (UnresolvedReference e) {
      return e.why();
    }
    throw new AssertionError("expected an UnresolvedReference");
  }

  @Test
  void parsesEachRoot() {
    Reference p = Reference.parse("params.opts.level");
    assertThat(p.root()).isEqualTo(Reference.Root.PARAMS);
    assertThat(p.name()).isEqualTo("opts");
    assertThat(p.parts()).containsExactly("params", "opts", "level");
    assertThat(Reference.parse("steps.backup.archive").root()).isEqualTo(Reference.Root.STEPS);
    assertThat(Reference.parse("steps.backup").name()).isEqualTo("backup");
    assertThat(Reference.parse("item").root()).isEqualTo(Reference.Root.ITEM);
    assertThat(Reference.parse("item.name").name()).isNull();
    assertThat(Reference.parse("run.startedAt").name()).isEqualTo("startedAt");
    assertThat(Reference.parse("run.id")).hasToString("${run.id}");
  }

  @Test
  void malformedReferencesSayWhatIsWrong() {
    assertThat(why("param.path")).isEqualTo("references start with params., steps., item or run.");
    assertThat(why("")).isEqualTo("references start with params., steps., item or run.");
    assertThat(why("params")).isEqualTo("say which parameter, e.g. ${params.path}");
    assertThat(why("params.")).isEqualTo("say which parameter, e.g. ${params.path}");
    assertThat(why("steps")).isEqualTo("say which step, e.g. ${steps.backup.path}");
    assertThat(why("run")).isEqualTo("known run fields are run.id, run.runbook and run.startedAt");
    assertThat(why("run.user")).isEqualTo(why("run"));
    assertThat(why("run.id.x")).isEqualTo(why("run"));
    assertThatThrownBy(() -> Reference.parse("run.user"))
        .isInstanceOf(UnresolvedReference.class)
        .hasMessage(
            "${run.user} cannot be resolved: known run fields are run.id, run.runbook and"
                + " run.startedAt");
    assertThat(Reference.tryParse("nope")).isEmpty();
    assertThat(Reference.tryParse("item.x")).isPresent();
  }

  @Test
  void whereEachRootMayBeUsed() {
    assertThat(whyIn("params.path", "check", false)).isNull();
    assertThat(whyIn("params.colour", "check", false)).isEqualTo("there is no parameter 'colour'");

    assertThat(whyIn("steps.backup.archive", "check", false)).isNull();
    assertThat(whyIn("steps.upload.url", "check", false))
        .isEqualTo("step 'upload' runs later; a step can only use outputs of steps before it");
    // its own output does not exist yet either, and that is not "later"
    assertThat(whyIn("steps.check.ok", "check", false))
        .isEqualTo("there is no earlier step 'check'");
    assertThat(whyIn("steps.bakup.archive", "check", false))
        .isEqualTo("there is no earlier step 'bakup'");

    assertThat(whyIn("item.name", "check", true)).isNull();
    assertThat(whyIn("item", "check", false))
        .isEqualTo("${item} is only available in a step with 'forEach'");

    assertThat(whyIn("run.id", "check", false)).isNull();
  }

  @Test
  void resolvesEachRoot() {
    assertThat(Reference.parse("params.path").resolve(scope)).isEqualTo("/data");
    assertThat(Reference.parse("params.opts.level").resolve(scope)).isEqualTo(9);
    // an optional parameter not given is null, and so is everything below it
    assertThat(Reference.parse("params.unset.deep").resolve(scope)).isNull();

    assertThat(Reference.parse("steps.backup.archive").resolve(scope)).isEqualTo("a.tar.gz");
    assertThat(Reference.parse("steps.backup.files.1").resolve(scope)).isEqualTo("y");
    assertThat(Reference.parse("steps.backup").resolve(scope)).isInstanceOf(Map.class);

    assertThat(Reference.parse("item").resolve(scope)).isEqualTo(Map.of("name", "db"));
    assertThat(Reference.parse("item.name").resolve(scope)).isEqualTo("db");

    assertThat(Reference.parse("run.id").resolve(scope)).isEqualTo("run-1");
    assertThat(Reference.parse("run.runbook").resolve(scope)).isEqualTo("nightly");
    assertThat(Reference.parse("run.startedAt").resolve(scope)).isEqualTo(42L);
  }

  @Test
  void unresolvableReferencesSayWhy() {
    assertThat(catchWhy(() -> Reference.parse("params.colour").resolve(scope)))
        .isEqualTo("no such parameter");
    assertThat(catchWhy(() -> Reference.parse("params.path.x").resolve(scope)))
        .isEqualTo("'x' is not there");
    assertThat(catchWhy(() -> Reference.parse("steps.check.ok").resolve(scope)))
        .isEqualTo("step 'check' has no output (it did not succeed)");
    assertThat(catchWhy(() -> Reference.parse("steps.backup.files.2").resolve(scope)))
        .isEqualTo("'2' is not there");
    // a huge index is missing, not a crash
    assertThat(catchWhy(() -> Reference.parse("steps.backup.files.99999999999").resolve(scope)))
        .isEqualTo("'99999999999' is not there");
    assertThat(catchWhy(() -> Reference.parse("item.size").resolve(scope)))
        .isEqualTo("'size' is not there");
    Reference.Scope beforeStart = new Reference.Scope(runbook, Map.of(), Map.of(), null, Map.of());
    assertThat(catchWhy(() -> Reference.parse("run.id").resolve(beforeStart)))
        .isEqualTo("known only while the run runs");
    assertThat(Reference.parse("run.runbook").resolve(beforeStart)).isEqualTo("nightly");
  }

  @Test
  void resolveAllKeepsTypesAndInterpolatesText() {
    assertThat(Reference.resolveAll("${steps.backup.files}", scope)).isEqualTo(List.of("x", "y"));
    assertThat(
            Reference.resolveAll(
                Map.of("to", "${params.path}/${item.name}-${run.id}", "n", 3), scope))
        .isEqualTo(Map.of("to", "/data/db-run-1", "n", 3));
    assertThatThrownBy(() -> Reference.resolveAll("x ${param.path}", scope))
        .isInstanceOf(UnresolvedReference.class)
        .hasMessageContaining("references start with params.");
  }

  @Test
  void knownBeforeStartIsParametersAndTheRunbookName() {
    assertThat(Reference.parse("params.path").knownBeforeStart()).isTrue();
    assertThat(Reference.parse("run.runbook").knownBeforeStart()).isTrue();
    assertThat(Reference.parse("run.id").knownBeforeStart()).isFalse();
    assertThat(Reference.parse("steps.backup.archive").knownBeforeStart()).isFalse();
    assertThat(Reference.parse("item").knownBeforeStart()).isFalse();
  }
}
