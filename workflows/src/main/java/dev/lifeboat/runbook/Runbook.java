package dev.lifeboat.runbook;

import java.util.List;
import java.util.Map;

/**
 * A parsed, validated runbook: what the workflow receives as input, so that editing the YAML file
 * never changes a run in flight. {@code notifications} is the YAML's {@code notify:} (null: none).
 */
// runs recorded before 'schedules' carry the old informative 'schedule' text; they must still
// replay
@com.fasterxml.jackson.annotation.JsonIgnoreProperties({"schedule"})
public record Runbook(
    String name,
    String description,
    List<Param> params,
    List<Step> steps,
    List<Step> finallySteps,
    List<ScheduleSpec> schedules,
    String file,
    NotifySpec notifications) {

  public Runbook {
    params = params == null ? List.of() : List.copyOf(params);
    steps = steps == null ? List.of() : List.copyOf(steps);
    finallySteps = finallySteps == null ? List.of() : List.copyOf(finallySteps);
    schedules = schedules == null ? List.of() : List.copyOf(schedules);
    description = description == null ? "" : description;
  }

  public Runbook(
      String name,
      String description,
      List<Param> params,
      List<Step> steps,
      List<Step> finallySteps,
      List<ScheduleSpec> schedules,
      String file) {
    this(name, description, params, steps, finallySteps, schedules, file, null);
  }

  /** Child runbooks a step may call, by name; filled by the caller that starts a run. */
  public static Map<String, Runbook> none() {
    return Map.of();
  }
}
