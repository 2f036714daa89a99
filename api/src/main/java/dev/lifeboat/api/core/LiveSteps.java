package dev.lifeboat.api.core;

import dev.lifeboat.workflows.LiveProgress;
import dev.lifeboat.workflows.StepProgress;
import dev.lifeboat.workflows.StepState;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.common.converter.DataConverter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the live progress of running steps into the run's step view: each pending activity's last
 * heartbeat details (a {@link LiveProgress} naming its step) as DescribeWorkflowExecution reports
 * them.
 */
public final class LiveSteps {
  private static final Logger LOG = LoggerFactory.getLogger(LiveSteps.class);

  private LiveSteps() {}

  /** The live details of every pending activity that has heartbeated, by step key. */
  public static Map<String, LiveProgress> read(
      DescribeWorkflowExecutionResponse describe, DataConverter converter) {
    Map<String, LiveProgress> out = new HashMap<>();
    for (PendingActivityInfo a : describe.getPendingActivitiesList()) {
      if (!a.hasHeartbeatDetails() || a.getHeartbeatDetails().getPayloadsCount() == 0) {
        continue;
      }
      try {
        LiveProgress p =
            converter.fromPayloads(
                0, Optional.of(a.getHeartbeatDetails()), LiveProgress.class, LiveProgress.class);
        if (p != null && p.stepKey() != null) {
          out.merge(p.stepKey(), p, (x, y) -> x.at() >= y.at() ? x : y);
        }
      } catch (RuntimeException e) {
        // a run started before progress moved into heartbeats carries a bare checkpoint here
        LOG.debug("heartbeat details of activity {} are not live progress", a.getActivityId(), e);
      }
    }
    return out;
  }

  /** The steps with live counters, message and log tail merged into the running ones. */
  public static List<StepProgress> merge(List<StepProgress> steps, Map<String, LiveProgress> live) {
    if (live.isEmpty()) {
      return steps;
    }
    List<StepProgress> out = new ArrayList<>(steps.size());
    for (StepProgress s : steps) {
      LiveProgress p = live.get(s.id());
      if (p == null || s.state() != StepState.RUNNING || p.attempt() < s.attempt()) {
        out.add(s);
        continue;
      }
      List<String> log = new ArrayList<>(s.log() == null ? List.of() : s.log());
      log.addAll(p.log());
      out.add(
          new StepProgress(
              s.id(),
              s.action(),
              s.phase(),
              s.state(),
              s.startedAt(),
              s.endedAt(),
              Math.max(s.attempt(), p.attempt()),
              s.lastError(),
              p.message() != null ? p.message() : s.message(),
              s.warning(),
              p.bytesDone(),
              p.bytesTotal(),
              p.filesDone(),
              s.output(),
              log,
              s.attempts(),
              s.approval(),
              s.approvalGroup(),
              s.approvalStep()));
    }
    return out;
  }
}
