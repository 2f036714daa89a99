package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code schedules:} in runbook YAML: what loads, and every mistake named with file and line. */
class ScheduleLoaderTest {
  private final RunbookLoader loader = TestActions.loader();

  private static String runbook(String name, String schedules) {
    return "name: "
        + name
        + "\n"
        + "params:\n"
        + "  - name: source\n"
        + "    required: true\n"
        + "  - name: keep\n"
        + "    type: integer\n"
        + "    default: 7\n"
        + schedules
        + "steps:\n"
        + "  - id: b\n"
        + "    action: backup\n"
        + "    with: {source: \"${params.source}\"}\n";
  }

  private RunbookProblem problem(String schedules) {
    Throwable t = catchThrowable(() -> loader.parse(runbook("nightly", schedules), "rb.yaml"));
    assertThat(t).as("expected a RunbookProblem").isInstanceOf(RunbookProblem.class);
    return (RunbookProblem) t;
  }

  @Test
  void schedulesLoadWithDefaults() {
    Runbook rb =
        loader.parse(
            runbook(
                "nightly",
                """
        schedules:
          - name: nightly-notebooks
            cron: "0 2 * * *"
            timezone: Europe/Berlin
            jitter: 30m
            params: {source: /home, keep: 3}
          - name: nightly-weekly
            cron: "@weekly"
            params: {source: /data}
          - name: nightly-ranges
            cron: "*/15 1-5,22 1 JAN-MAR mon-fri"
            params: {source: /x}
        """),
            "rb.yaml");
    assertThat(rb.schedules())
        .containsExactly(
            new ScheduleSpec(
                "nightly-notebooks",
                "0 2 * * *",
                "Europe/Berlin",
                Duration.ofMinutes(30),
                Map.of("source", "/home", "keep", 3L)),
            new ScheduleSpec("nightly-weekly", "@weekly", "UTC", null, Map.of("source", "/data")),
            new ScheduleSpec(
                "nightly-ranges",
                "*/15 1-5,22 1 JAN-MAR mon-fri",
                "UTC",
                null,
                Map.of("source", "/x")));
  }

  @Test
  void aRunbookWithoutSchedulesHasNone() {
    assertThat(loader.parse(runbook("plain", ""), "rb.yaml").schedules()).isEmpty();
  }

  @Test
  void badCronNamesTheFieldWithFileAndLine() {
    RunbookProblem p =
        problem(
            """
        schedules:
          - name: s
            cron: "0 25 * * *"
            params: {source: /x}
        """);
    assertThat(p.getMessage())
        .startsWith("rb.yaml:10: ")
        .contains("schedule 's'", "hour '25'", "between 0 and 23");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "0 2 * *"
            params: {source: /x}
        """)
                .getMessage())
        .startsWith("rb.yaml:10: ")
        .contains("4 fields", "five");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@fortnightly"
            params: {source: /x}
        """)
                .getMessage())
        .startsWith("rb.yaml:10: ")
        .contains("unknown shorthand", "@daily");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "0 2 * * 1/0"
            params: {source: /x}
        """)
                .reason())
        .contains("day of week", "step '0'");
  }

  @Test
  void badTimezoneJitterAndNameAreInvalid() {
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            timezone: Mars/Olympus
            params: {source: /x}
        """)
                .getMessage())
        .startsWith("rb.yaml:11: ")
        .contains("timezone 'Mars/Olympus'");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            timezone: "+02:00"
            params: {source: /x}
        """)
                .reason())
        .contains("time zone name");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            jitter: soon
            params: {source: /x}
        """)
                .getMessage())
        .startsWith("rb.yaml:11: ")
        .contains("'soon' is not a duration");
    assertThat(
            problem(
                    """
        schedules:
          - name: Bad_Name
            cron: "@daily"
        """)
                .getMessage())
        .startsWith("rb.yaml:9: ")
        .contains("lower-case");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            when: never
        """)
                .getMessage())
        .startsWith("rb.yaml:11: ")
        .contains("unknown key 'when'");
  }

  @Test
  void paramsAreBoundAgainstTheRunbook() {
    // a required parameter missing: the unattended run could never start
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
        """)
                .getMessage())
        .startsWith("rb.yaml:9: ")
        .contains("schedule 's'", "parameter 'source'", "required");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            params:
              source: /x
              keep: many
        """)
                .getMessage())
        .startsWith("rb.yaml:13: ")
        .contains("parameter 'keep'");
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            params: {source: /x, colour: red}
        """)
                .reason())
        .contains("parameter 'colour'", "no such parameter");
  }

  @Test
  void theOldScheduleKeyPointsToSchedules() {
    Throwable t =
        catchThrowable(
            () ->
                loader.parse(
                    "name: old\nschedule: \"0 5 1 * *\"\nsteps:\n"
                        + "  - id: b\n    action: backup\n    with: {source: x}\n",
                    "rb.yaml"));
    assertThat(t)
        .isInstanceOf(RunbookProblem.class)
        .hasMessageStartingWith("rb.yaml:2: ")
        .hasMessageContaining("replaced by 'schedules'");
  }

  @Test
  void scheduleNamesAreUniqueInTheRunbookAndAcrossTheCatalogue(@TempDir Path dir) throws Exception {
    assertThat(
            problem(
                    """
        schedules:
          - name: s
            cron: "@daily"
            params: {source: /x}
          - name: s
            cron: "@weekly"
            params: {source: /x}
        """)
                .getMessage())
        .startsWith("rb.yaml:12: ")
        .contains("duplicate schedule name 's'");

    Files.writeString(
        dir.resolve("a.yaml"),
        runbook(
            "first",
            """
        schedules:
          - name: shared
            cron: "@daily"
            params: {source: /x}
        """));
    Files.writeString(
        dir.resolve("b.yaml"),
        runbook(
            "second",
            """
        schedules:
          - name: own
            cron: "@daily"
            params: {source: /x}
          - name: shared
            cron: "@weekly"
            params: {source: /y}
        """));
    List<LoadedRunbook> loaded = loader.loadDirectory(dir);
    assertThat(loaded.get(0)).isInstanceOf(LoadedRunbook.Valid.class);
    LoadedRunbook.Invalid bad = (LoadedRunbook.Invalid) loaded.get(1);
    assertThat(bad.file()).isEqualTo("b.yaml");
    assertThat(bad.line()).isEqualTo(12);
    assertThat(bad.reason()).contains("schedule 'shared'", "a.yaml", "unique across runbooks");
  }
}
