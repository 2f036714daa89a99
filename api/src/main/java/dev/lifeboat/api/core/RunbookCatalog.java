package dev.lifeboat.api.core;

import dev.lifeboat.runbook.ActionSignature;
import dev.lifeboat.runbook.BuiltinActions;
import dev.lifeboat.runbook.LoadedRunbook;
import dev.lifeboat.runbook.Runbook;
import dev.lifeboat.runbook.RunbookLoader;
import dev.lifeboat.runbook.Step;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The runbooks folder, loaded and validated; reloading swaps the whole set at once. */
public final class RunbookCatalog {
  private static final Logger LOG = LoggerFactory.getLogger(RunbookCatalog.class);

  private final Path folder;
  private final RunbookLoader loader;
  private volatile Map<String, LoadedRunbook> entries = Map.of();
  private final List<Runnable> reloadListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  public RunbookCatalog(Path folder, List<ActionSignature> actions) {
    this.folder = folder;
    this.loader = new RunbookLoader(actions);
  }

  public synchronized List<LoadedRunbook> reload() {
    List<LoadedRunbook> loaded = loader.loadDirectory(folder);
    Map<String, LoadedRunbook> next = new LinkedHashMap<>();
    for (LoadedRunbook r : loaded) {
      if (r instanceof LoadedRunbook.Invalid bad) {
        LOG.warn(
            "runbook {} is invalid: {}:{}: {}", bad.name(), bad.file(), bad.line(), bad.reason());
        next.putIfAbsent(bad.name() + (next.containsKey(bad.name()) ? "#" + bad.file() : ""), bad);
        continue;
      }
      next.put(r.name(), r);
    }
    entries = next;
    reloadListeners.forEach(Runnable::run);
    LOG.info(
        "loaded {} runbooks from {} ({} invalid)",
        next.size(),
        folder.toAbsolutePath(),
        next.values().stream().filter(e -> e instanceof LoadedRunbook.Invalid).count());
    return List.copyOf(next.values());
  }

  /**
   * Called after every reload, with the new set in place (e.g. to bring Temporal schedules in
   * line).
   */
  public void onReload(Runnable listener) {
    reloadListeners.add(listener);
  }

  public List<LoadedRunbook> all() {
    return List.copyOf(entries.values());
  }

  public Optional<LoadedRunbook> find(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  public Path folder() {
    return folder;
  }

  public Map<String, ActionSignature> actions() {
    return loader.actions();
  }

  /** The runbooks {@code root} may start as children, found through its `runbook` steps. */
  public Map<String, Runbook> libraryFor(Runbook root) {
    Map<String, Runbook> out = new LinkedHashMap<>();
    Deque<Runbook> todo = new ArrayDeque<>(List.of(root));
    while (!todo.isEmpty()) {
      Runbook r = todo.pop();
      for (Step s : allSteps(r)) {
        if (!BuiltinActions.RUNBOOK.equals(s.action())) {
          continue;
        }
        Object name = s.with().get("name");
        if (name instanceof String n && !n.contains("${")) {
          find(n)
              .flatMap(LoadedRunbook::runbook)
              .ifPresent(
                  child -> {
                    if (out.putIfAbsent(child.name(), child) == null) {
                      todo.push(child);
                    }
                  });
        } else {
          // a computed name: any valid runbook may be asked for
          entries
              .values()
              .forEach(e -> e.runbook().ifPresent(rb -> out.putIfAbsent(rb.name(), rb)));
        }
      }
    }
    return out;
  }

  private static List<Step> allSteps(Runbook r) {
    List<Step> all = new java.util.ArrayList<>(r.steps());
    r.steps().forEach(s -> all.addAll(s.finallySteps()));
    all.addAll(r.finallySteps());
    return all;
  }
}
