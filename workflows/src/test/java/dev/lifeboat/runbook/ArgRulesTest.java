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

  // ------------------------------------------------------------------ list items, needs, children

  /**
   * Actions shaped like helm-upgrade, a drill and a preflight, with the real kinds of constraint.
   */
  private static final RunbookLoader ITEMS =
      new RunbookLoader(
          List.of(
              ActionSignature.of(
                  "helm",
                  "",
                  List.of(
                      new ArgSpec("release", "string", true, ""),
                      new ArgSpec(
                          "namespace",
                          "string",
                          true,
                          "a namespace",
                          false,
                          null,
                          null,
                          KubernetesNames.LABEL,
                          List.of()))),
              ActionSignature.of(
                  "drill",
                  "",
                  List.of(
                      new ArgSpec("set", "string", false, ""),
                      new ArgSpec(
                          "source",
                          "string",
                          false,
                          "",
                          false,
                          null,
                          null,
                          null,
                          List.of(),
                          List.of("set")))),
              ActionSignature.of(
                  "preflight",
                  "",
                  List.of(
                      new ArgSpec(
                          "statefulsets",
                          "list",
                          false,
                          "StatefulSets",
                          false,
                          null,
                          null,
                          KubernetesNames.LABEL,
                          List.of())))));

  private static final String RELEASES =
      """
      name: redeploy
      params:
        - name: releases
          type: list
          default: [{name: a, namespace: ml}]
          items:
            name: {type: name, required: true}
            namespace: {type: string, required: true}
        - name: loose
          type: list
          default: []
      steps:
        - id: redeploy
          action: helm
          forEach: ${params.releases}
          with: {release: "${item.name}", namespace: "${item.namespace}"}
        - id: again
          action: helm
          forEach: ${params.loose}
          with: {release: "${item.name}", namespace: "${item.namespace}"}
      """;

  private ParamBinder.InvalidParam refused(String yaml, Map<String, Object> given) {
    Runbook rb = ITEMS.parse(yaml, "x.yaml");
    return catchThrowableOfType(
        ParamBinder.InvalidParam.class,
        () -> ArgRules.checkParams(rb, ITEMS.actions(), ParamBinder.bind(rb, given)));
  }

  @Test
  void listItemsAreCheckedByTheirDeclaredFieldsBeforeTheRun() {
    // a comma-separated text is a list of texts: no item has the fields the step uses
    ParamBinder.InvalidParam e = refused(RELEASES, Map.of("releases", "a,b"));
    assertThat(e.param()).isEqualTo("releases");
    assertThat(e.getMessage()).contains("releases[0]: expected an object with name, namespace");
    e = refused(RELEASES, Map.of("releases", List.of(Map.of("name", "a"))));
    assertThat(e.getMessage()).contains("releases[0]: needs 'namespace'");
    e =
        refused(
            RELEASES,
            Map.of(
                "releases",
                List.of(
                    Map.of("name", "ok", "namespace", "ml"),
                    Map.of("name", "--help", "namespace", "ml"))));
    assertThat(e.getMessage()).contains("releases[1].name: '--help' is not a Kubernetes name");
    e =
        refused(
            RELEASES, Map.of("releases", List.of(Map.of("name", "a", "namespace", "ml", "x", 1))));
    assertThat(e.getMessage()).contains("releases[0]: has no field 'x'");
    // a field's value is checked against the argument it flows into, like a parameter's
    e =
        refused(
            RELEASES, Map.of("releases", List.of(Map.of("name", "a", "namespace", "Foo_Bar."))));
    assertThat(e.param()).isEqualTo("releases");
    assertThat(e.getMessage())
        .contains("releases[0]: step 'redeploy' passes it to helm's namespace")
        .contains("'Foo_Bar.' is not valid for 'namespace'");
    assertThat(
            refused(RELEASES, Map.of("releases", List.of(Map.of("name", "a", "namespace", "ml")))))
        .isNull();
  }

  @Test
  void itemsWithoutADeclarationStillNeedTheFieldsTheStepUses() {
    ParamBinder.InvalidParam e = refused(RELEASES, Map.of("loose", List.of("x")));
    assertThat(e.param()).isEqualTo("loose");
    assertThat(e.getMessage())
        .contains("loose[0]: 'x' has no name, which step 'again' uses (${item.name})");
    e = refused(RELEASES, Map.of("loose", List.of(Map.of("name", "a", "namespace", "a..b"))));
    assertThat(e.getMessage()).contains("loose[0]: step 'again' passes it to helm's namespace");
  }

  @Test
  void plainItemsTakeADeclarationOfTheirOwn() {
    String yaml =
        """
        name: members
        params:
          - name: members
            type: list
            items: {type: integer, min: 0}
        steps:
          - id: a
            action: preflight
            forEach: ${params.members}
            with: {statefulsets: ["member${item}"]}
        """;
    ParamBinder.InvalidParam e = refused(yaml, Map.of("members", List.of("--help", "-1")));
    assertThat(e.param()).isEqualTo("members");
    assertThat(e.getMessage()).contains("members[0]: '--help' is not an integer");
    e = refused(yaml, Map.of("members", "1,-1"));
    assertThat(e.getMessage()).contains("members[1]: must be at least 0, got -1");
    Runbook rb = ITEMS.parse(yaml, "x.yaml");
    assertThat(ParamBinder.bind(rb, Map.of("members", "1,2")))
        .containsEntry("members", List.of(1L, 2L));
  }

  @Test
  void aDerivedNameTooLongIsRefusedNamingTheParameterThatMadeIt() {
    String yaml =
        """
        name: member
        params:
          - name: prefix
            type: name
            default: member
          - name: member
            type: integer
            default: 1
        steps:
          - id: preflight
            action: preflight
            with: {statefulsets: ["${params.prefix}${params.member}"]}
        """;
    ParamBinder.InvalidParam e = refused(yaml, Map.of("prefix", "p".repeat(63)));
    assertThat(e.param()).isEqualTo("prefix");
    assertThat(e.getMessage()).contains("step 'preflight' passes it to preflight's statefulsets");
    assertThat(refused(yaml, Map.of("prefix", "p".repeat(62)))).isNull();
  }

  @Test
  void anArgumentThatNeedsAnotherIsRefusedWithoutIt() {
    String yaml =
        """
        name: drill
        params:
          - name: set
          - name: source
        steps:
          - id: drill
            action: drill
            with: {set: "${params.set}", source: "${params.source}"}
        """;
    ParamBinder.InvalidParam e = refused(yaml, Map.of("source", "nb"));
    assertThat(e.param()).isEqualTo("source");
    assertThat(e.getMessage())
        .contains("drill's source, which needs set too (give parameter 'set')");
    assertThat(refused(yaml, Map.of("source", "nb", "set", "tier1"))).isNull();
    assertThat(refused(yaml, Map.of("set", "tier1"))).isNull();
    assertThat(
            catchThrowable(
                () ->
                    ITEMS.parse(
                        """
                        name: drill
                        steps:
                          - id: drill
                            action: drill
                            with: {source: nb}
                        """,
                        "x.yaml")))
        .hasMessageContaining("takes 'source' only with 'set'");
  }

  @Test
  void aChildRunbookChecksWhatItIsGivenBeforeTheParentStarts() {
    Runbook child =
        ITEMS.parse(
            """
            name: member-backup
            params:
              - name: member
                type: integer
                required: true
                min: 0
              - name: namespace
                type: name
                default: quorum
            steps:
              - id: preflight
                action: preflight
                with: {statefulsets: ["member${params.member}"]}
            """,
            "child.yaml");
    Runbook parent =
        ITEMS.parse(
            """
            name: all
            params:
              - name: members
                type: list
                default: [1]
              - name: namespace
            steps:
              - id: each
                action: runbook
                forEach: ${params.members}
                with:
                  name: member-backup
                  params: {member: "${item}", namespace: "${params.namespace}"}
            """,
            "parent.yaml");
    Map<String, Runbook> library = Map.of("member-backup", child);
    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class,
            () ->
                ArgRules.checkParams(
                    parent,
                    ITEMS.actions(),
                    ParamBinder.bind(parent, Map.of("members", List.of("--help", "-1"))),
                    library));
    assertThat(e.param()).isEqualTo("members");
    assertThat(e.getMessage())
        .contains("members[0]: step 'each' passes it to runbook member-backup's parameter 'member'")
        .contains("'--help' is not an integer");
    e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class,
            () ->
                ArgRules.checkParams(
                    parent,
                    ITEMS.actions(),
                    ParamBinder.bind(parent, Map.of("namespace", "Foo_Bar.")),
                    library));
    assertThat(e.param()).isEqualTo("namespace");
    assertThat(e.getMessage()).contains("member-backup's parameter 'namespace'");
    ArgRules.checkParams(
        parent,
        ITEMS.actions(),
        ParamBinder.bind(parent, Map.of("members", List.of(0, "2"))),
        library);
  }
}
