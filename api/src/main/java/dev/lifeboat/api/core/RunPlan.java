package dev.lifeboat.api.core;

import dev.lifeboat.runbook.ActionSignature;
import dev.lifeboat.runbook.ArgRules;
import dev.lifeboat.runbook.Expressions;
import dev.lifeboat.runbook.ParamBinder;
import dev.lifeboat.runbook.Reference;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run would do, without starting it: parameters bound and checked exactly as a start does,
 * each step's arguments with the parameters substituted, forEach expanded when its list is known
 * before the run, approvals marked, finally steps listed. What only the run knows (a step's output,
 * the run id) stays a {@code ${...}} reference.
 */
public final class RunPlan {
  private RunPlan() {}

  /**
   * Throws {@link ParamBinder.InvalidParam} for parameters a start would refuse; {@code library}
   * holds the child runbooks it may run, checked as a start checks them.
   */
  public static List<Map<String, Object>> of(
      Runbook runbook,
      Map<String, Object> params,
      Map<String, ActionSignature> actions,
      Map<String, Runbook> library) {
    Map<String, Object> bound = ParamBinder.bind(runbook, params);
    ArgRules.checkParams(runbook, actions, bound, library);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Step s : runbook.steps()) {
      out.add(step(runbook, bound, s, null));
      for (Step f : s.finallySteps()) {
        Map<String, Object> fin = step(runbook, bound, f, null);
        fin.put("finallyOf", s.id());
        out.add(fin);
      }
    }
    for (Step f : runbook.finallySteps()) {
      Map<String, Object> fin = step(runbook, bound, f, null);
      fin.put("finallyOf", runbook.name());
      out.add(fin);
    }
    return out;
  }

  private static Map<String, Object> step(
      Runbook runbook, Map<String, Object> params, Step s, Object unused) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", s.id());
    view.put("action", s.action());
    if (s.when() != null) {
      view.put("when", resolve(runbook, params, s.when(), null, false));
    }
    if (s.approval() != null) {
      view.put("approval", true);
      view.put("approvalMessage", resolve(runbook, params, s.approval(), null, false));
      if (s.approvalGroup() != null) {
        view.put("approvalGroup", s.approvalGroup());
      }
    }
    if (s.forEach() == null) {
      view.put("with", resolve(runbook, params, s.with(), null, false));
      return view;
    }
    Object items = resolve(runbook, params, s.forEach(), null, false);
    view.put("forEach", items);
    if (items instanceof List<?> list) {
      List<Map<String, Object>> expanded = new ArrayList<>();
      for (Object item : list) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("item", item);
        one.put("with", resolve(runbook, params, s.with(), item, true));
        expanded.add(one);
      }
      view.put("items", expanded);
    } else {
      // known only while running (a step's output): the arguments per item stay references
      view.put("with", resolve(runbook, params, s.with(), null, false));
    }
    return view;
  }

  private static Object resolve(
      Runbook runbook, Map<String, Object> params, Object value, Object item, boolean hasItem) {
    Reference.Scope scope = new Reference.Scope(runbook, params, Map.of(), item, Map.of());
    return Expressions.resolve(
        value,
        text -> {
          // what only the run knows (a step's output, the run id) stays a reference
          Reference ref = Reference.tryParse(text).orElse(null);
          boolean known =
              ref != null
                  && (ref.knownBeforeStart() || ref.root() == Reference.Root.ITEM && hasItem);
          if (!known) {
            return "${" + text + "}";
          }
          try {
            return ref.resolve(scope);
          } catch (Expressions.UnresolvedReference e) {
            // a preview never fails on a value: what it cannot resolve stays a reference
            return "${" + text + "}";
          }
        });
  }
}
