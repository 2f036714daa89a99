package dev.lifeboat.workflows;

import java.util.List;

/**
 * Who approved a step, when (epoch ms), from where, and why. {@code groups} are the approver groups
 * the API found {@code by} in when it sent the approval; a step that requires a group accepts only
 * an approval naming it. The whole record is the signal's input, so Temporal's history holds the
 * audit.
 */
public record Approval(
    String stepId, String by, long at, String from, String comment, List<String> groups) {
  public Approval {
    groups = groups == null ? List.of() : List.copyOf(groups);
  }
}
