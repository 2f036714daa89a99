package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamBinderTest {
  private final Runbook runbook =
      TestActions.loader()
          .parse(
              """
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
      """,
              "restore.yaml");

  private ParamBinder.InvalidParam invalid(Map<String, ?> given) {
    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> ParamBinder.bind(runbook, given));
    assertThat(e).as("expected InvalidParam for " + given).isNotNull();
    return e;
  }

  @Test
  void defaultsAreFilledAndUnsetOptionalsLeftOut() {
    Map<String, Object> bound = ParamBinder.bind(runbook, Map.of("source", "/backups/x.tar.zst"));
    assertThat(bound)
        .containsOnly(
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
    assertThat(bound)
        .containsEntry("source", "42")
        .containsEntry("keep", 12L)
        .containsEntry("dryRun", true)
        .containsEntry("window", "1h30m")
        .containsEntry("members", List.of("x", "y", "z"))
        .containsEntry("labels", Map.of("k", "v"))
        .containsEntry("note", "true");
  }

  @Test
  void integerFromJsonKeepsItsValue() {
    assertThat(ParamBinder.bind(runbook, Map.of("source", "s", "keep", 3)))
        .containsEntry("keep", 3L);
  }

  @Test
  void unknownParameterIsNamedWithTheKnownOnes() {
    ParamBinder.InvalidParam e = invalid(Map.of("source", "s", "sorce", "t"));
    assertThat(e.param()).isEqualTo("sorce");
    assertThat(e.getMessage())
        .contains(
            "parameter 'sorce'", "runbook 'restore' has no such parameter", "source, keep, dryRun");
  }

  @Test
  void missingRequiredParameterIsNamedWithItsDescription() {
    ParamBinder.InvalidParam e = invalid(Map.of("keep", 3));
    assertThat(e.param()).isEqualTo("source");
    assertThat(e.getMessage())
        .isEqualTo("parameter 'source': is required (the archive to restore)");
    assertThat(invalid(Map.of("source", "  ")).getMessage())
        .contains("parameter 'source'", "must not be empty");
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
    assertThat(ParamBinder.bind(runbook, Map.of("source", "s", "keep", " ")))
        .containsEntry("keep", 7L);
  }

  private final Runbook typed =
      TestActions.loader()
          .parse(
              """
      name: typed
      params:
        - name: repo
          type: url
        - name: target
          type: path
        - name: data
          type: path
          under: [/srv/data, /mnt/backup]
        - name: namespace
          type: name
        - name: source
          type: setname
        - name: helm
          type: program
          allowed: [helm, /usr/local/bin/helm]
          default: helm
      steps:
        - id: a
          action: verify
          with: {path: "${params.target}"}
      """,
              "typed.yaml");

  private String typedProblem(String param, Object value) {
    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> ParamBinder.bind(typed, Map.of(param, value)));
    assertThat(e).as(param + "=" + value + " should be refused").isNotNull();
    assertThat(e.param()).isEqualTo(param);
    return e.getMessage();
  }

  private Object typedValue(String param, Object value) {
    return ParamBinder.bind(typed, Map.of(param, value)).get(param);
  }

  @Test
  void urlTakesOnlyAllowedSchemesAndNeverAnOption() {
    for (String ok :
        List.of(
            "https://github.com/x/y.git",
            "http://h/r",
            "ssh://git@host/r.git",
            "git://h/r",
            "file:///srv/git/r")) {
      assertThat(typedValue("repo", ok)).isEqualTo(ok);
    }
    assertThat(typedProblem("repo", "--upload-pack=touch /tmp/pwned"))
        .contains("must not start with '-'");
    assertThat(typedProblem("repo", "ext::sh -c touch% /tmp/x")).contains("repo");
    assertThat(typedProblem("repo", "ftp://h/r")).contains("must be a URL starting with one of");
    assertThat(typedProblem("repo", "https://h/r x")).contains("no spaces");
    assertThat(typedProblem("repo", "https://h/r\n")).contains("control character");
  }

  @Test
  void pathMustBeAbsoluteNormalisedAndUnderItsRoots() {
    assertThat(typedValue("target", "/home/me/data")).isEqualTo("/home/me/data");
    assertThat(typedValue("target", "/")).isEqualTo("/");
    assertThat(typedProblem("target", "home/me")).contains("absolute path");
    assertThat(typedProblem("target", "/home/../etc")).contains("normalised");
    assertThat(typedProblem("target", "/home/./me")).contains("normalised");
    assertThat(typedProblem("target", "/home//me")).contains("normalised");
    assertThat(typedProblem("target", "-rf")).contains("absolute path");
    assertThat(typedProblem("target", "/home/me\u0000x")).contains("control character");
    assertThat(typedProblem("target", "/home/me\nx")).contains("control character");
    // JSON can spell half a surrogate pair; no file name can hold it
    assertThat(typedProblem("target", "/tmp/src/\ud800x"))
        .contains("not Unicode text")
        .contains("\\ud800")
        .contains("character 10");
    assertThat(typedProblem("target", "/tmp/\udc00")).contains("not Unicode text");
    assertThat(typedProblem("target", "/tmp/x\ud800")).contains("not Unicode text");
    assertThat(typedValue("target", "/tmp/\ud83d\ude00")).isEqualTo("/tmp/\ud83d\ude00");
    assertThat(typedProblem("source", "a\ud800")).contains("not Unicode text");
    assertThat(typedValue("data", "/srv/data/ml")).isEqualTo("/srv/data/ml");
    assertThat(typedValue("data", "/mnt/backup")).isEqualTo("/mnt/backup");
    assertThat(typedProblem("data", "/srv/database"))
        .contains("is not under /srv/data or /mnt/backup");
    assertThat(typedProblem("data", "/etc")).contains("is not under");
  }

  @Test
  void nameIsAKubernetesLabel() {
    assertThat(typedValue("namespace", "ml-workspace")).isEqualTo("ml-workspace");
    assertThat(typedValue("namespace", "a".repeat(63))).isEqualTo("a".repeat(63));
    // what the API server refuses is refused here, before it becomes part of a URL
    for (String bad :
        List.of(
            "-n",
            ".hidden",
            "a/b",
            "a b",
            "a;b",
            "{{ x }}",
            "Foo_Bar.",
            "a..b",
            "v1.2_x",
            "ML",
            "x-",
            "a".repeat(64),
            "..",
            "a\u0000")) {
      assertThat(typedProblem("namespace", bad)).contains("is not a Kubernetes name");
    }
  }

  @Test
  void workloadIsAKindTheActionsKnowAndAnObjectName() {
    Runbook rb =
        TestActions.loader()
            .parse(
                """
                name: w
                params:
                  - name: workload
                    type: workload
                steps:
                  - id: a
                    action: verify
                    with: {path: "${params.workload}"}
                """,
                "w.yaml");
    for (String ok :
        List.of(
            "deployment/data-pod",
            "statefulset/member1",
            "StatefulSet/db",
            "sts/db",
            "deploy/a.b",
            "deployment/" + "a".repeat(253))) {
      assertThat(ParamBinder.bind(rb, Map.of("workload", ok))).containsEntry("workload", ok);
    }
    for (String bad :
        List.of(
            "deployment/../../../../api/v1/namespaces/kube-system/secrets",
            "deployment/x?labelSelector=a",
            "deployment/a b",
            "--all",
            "secret/foo",
            "statefulset/x\u0000",
            "deployment/",
            "/x",
            "data-pod",
            "deployment/X",
            "deployment/" + "a".repeat(254),
            "deployment/a/b")) {
      ParamBinder.InvalidParam e =
          catchThrowableOfType(
              ParamBinder.InvalidParam.class, () -> ParamBinder.bind(rb, Map.of("workload", bad)));
      assertThat(e).as(bad).isNotNull();
      assertThat(e.param()).isEqualTo("workload");
      assertThat(e.getMessage()).contains("is not a workload");
    }
  }

  @Test
  void setnameKeepsTheRepositoryRule() {
    assertThat(typedValue("source", "db@host")).isEqualTo("db@host");
    assertThat(typedValue("source", "a+b")).isEqualTo("a+b");
    assertThat(typedProblem("source", "latest")).contains("not a usable name");
    assertThat(typedProblem("source", "../x")).contains("not a usable name");
    assertThat(typedProblem("source", "-x")).contains("not a usable name");
  }

  @Test
  void programMustBeOneTheAuthorAllowed() {
    assertThat(ParamBinder.bind(typed, Map.of())).containsEntry("helm", "helm");
    assertThat(typedValue("helm", "/usr/local/bin/helm")).isEqualTo("/usr/local/bin/helm");
    assertThat(typedProblem("helm", "/bin/sh"))
        .contains("not one of the allowed programs: helm, /usr/local/bin/helm");
  }

  @Test
  void programWithoutAllowListAndMisplacedConstraintsAreRunbookErrors() {
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    TestActions.loader()
                        .parse(
                            """
        name: p
        params:
          - name: helm
            type: program
        steps:
          - id: a
            action: verify
            with: {path: /a}
        """,
                            "p.yaml")))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("'allowed'");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    TestActions.loader()
                        .parse(
                            """
        name: p
        params:
          - name: x
            under: [/srv]
        steps:
          - id: a
            action: verify
            with: {path: /a}
        """,
                            "p.yaml")))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("only for type path");
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    TestActions.loader()
                        .parse(
                            """
        name: p
        params:
          - name: x
            type: path
            default: relative/dir
        steps:
          - id: a
            action: verify
            with: {path: /a}
        """,
                            "p.yaml")))
        .isInstanceOf(RunbookProblem.class)
        .hasMessageContaining("absolute path");
  }

  @Test
  void integerBoundsAreCheckedAndOnlyForIntegers() {
    Runbook bounded =
        TestActions.loader()
            .parse(
                """
        name: b
        params:
          - name: member
            type: integer
            min: 0
          - name: copies
            type: integer
            min: 1
            max: 9
            default: 3
        steps:
          - id: a
            action: verify
            with: {path: /a}
        """,
                "b.yaml");
    assertThat(ParamBinder.bind(bounded, Map.of("member", "0"))).containsEntry("member", 0L);
    assertThat(ParamBinder.bind(bounded, Map.of("copies", 9))).containsEntry("copies", 9L);
    ParamBinder.InvalidParam e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class,
            () -> ParamBinder.bind(bounded, Map.of("member", "-1")));
    assertThat(e.param()).isEqualTo("member");
    assertThat(e.getMessage()).contains("must be at least 0, got -1");
    e =
        catchThrowableOfType(
            ParamBinder.InvalidParam.class, () -> ParamBinder.bind(bounded, Map.of("copies", 10)));
    assertThat(e.getMessage()).contains("must be at most 9, got 10");
    for (String bad :
        List.of(
            "{name: x, min: 1}",
            "{name: x, type: integer, min: 5, max: 1}",
            "{name: x, type: integer, max: two}",
            "{name: x, type: integer, min: 2, default: 1}")) {
      assertThat(
              org.assertj.core.api.Assertions.catchThrowable(
                  () ->
                      TestActions.loader()
                          .parse(
                              "name: p\nparams:\n  - "
                                  + bad
                                  + "\nsteps:\n  - id: a\n    action: verify\n"
                                  + "    with: {path: /a}\n",
                              "p.yaml")))
          .as(bad)
          .isInstanceOf(RunbookProblem.class);
    }
  }

  @Test
  void aHugeValueIsRefusedByItsSize() {
    String big = "x".repeat(ParamBinder.MAX_VALUE_CHARS + 1);
    assertThat(invalid(Map.of("source", big)).getMessage())
        .contains("parameter 'source'", "larger than 64 KiB");
    List<String> many = java.util.Collections.nCopies(5000, "0123456789abcdef");
    assertThat(invalid(Map.of("source", "s", "members", many)).getMessage())
        .contains("parameter 'members'", "larger than 64 KiB");
    assertThat(invalid(Map.of("source", "s", "labels", Map.of("k", big))).param())
        .isEqualTo("labels");
    assertThat(
            ParamBinder.bind(
                runbook, Map.of("source", "x".repeat(ParamBinder.MAX_VALUE_CHARS - 10))))
        .containsKey("source");
  }
}
