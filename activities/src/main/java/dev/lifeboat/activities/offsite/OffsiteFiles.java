package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What of the repository goes offsite, as rclone filter rules that sync and check share: archives,
 * their manifests and the {@code latest} pointers. Never an archive the repository holds damaged
 * (nor its manifest): the offsite copy of it may be the only good one, and rclone leaves excluded
 * files on the remote as they are (no {@code --delete-excluded}). Never the bookkeeping that
 * changes after every sync ({@code .lock}, {@code .state.json}, {@code .drill.json}, {@code
 * last-passed-drill.json}, pins, partial files): a fetch does not need it, and a check comparing it
 * would always fail.
 */
final class OffsiteFiles {
  private static final List<String> KEPT =
      List.of("[0-9]*.tar.gz", "[0-9]*.tar.zst", "[0-9]*.manifest.json", "latest");

  /**
   * @param rules rclone filter rules, first match wins, paths relative to what is synced
   * @param archives good archives selected, as {@code set/source/name}
   * @param skippedDamaged damaged archives left out, as {@code set/source/name}
   * @param here every archive the repository lists (good, damaged, missing), as {@code
   *     set/source/<timestamp>}
   */
  record Selection(
      List<String> rules, List<String> archives, List<String> skippedDamaged, Set<String> here) {}

  /**
   * What a sync leaves offsite although the repository does not have it.
   *
   * @param rules rclone filter rules that keep it, to go before the selection's
   * @param kept archives offsite that are not here and that no prune deleted, as {@code
   *     set/source/name}
   * @param pruned archives a prune deleted here whose offsite copies the sync may delete, as {@code
   *     set/source/<timestamp>}
   */
  record Offsite(List<String> rules, List<String> kept, Set<String> pruned) {}

  private OffsiteFiles() {}

  /** The selection for the whole repository ({@code set} null) or one set of it. */
  static Selection select(Path repository, String set) throws IOException {
    List<String> rules = new ArrayList<>();
    List<String> archives = new ArrayList<>();
    List<String> damaged = new ArrayList<>();
    Set<String> here = new HashSet<>();
    for (ArchiveInfo a : new Repository(repository).list(set, null)) {
      String name = a.set() + "/" + a.source() + "/" + a.name();
      String stem = RepositoryPaths.timestamp(a.name());
      here.add(key(a.set(), a.source(), stem));
      if (!a.damaged()) {
        archives.add(name);
        continue;
      }
      damaged.add(name);
      // set and source names hold no glob characters (Repository.checkName); stems are digits
      String dir = "/" + (set == null ? a.set() + "/" : "") + a.source() + "/";
      if (a.missing()) {
        // its kind is a guess when the manifest is gone too: neither kind's copy is touched
        rules.add("- " + dir + stem + ".tar.gz");
        rules.add("- " + dir + stem + ".tar.zst");
      } else {
        rules.add("- " + dir + a.name());
      }
      rules.add("- " + dir + stem + ".manifest.json");
    }
    // anchored at the source folders' depth: nothing in hidden or deeper folders (a fetch's
    // partial files, restore records) matches
    String depth = set == null ? "/*/*/" : "/*/";
    for (String kept : KEPT) {
      rules.add("+ " + depth + kept);
    }
    rules.add("- *");
    return new Selection(
        List.copyOf(rules), List.copyOf(archives), List.copyOf(damaged), Set.copyOf(here));
  }

  /**
   * What of the offsite copy a sync of {@code selection} must leave although it is not here: a sync
   * mirrors deletions, and an archive that is gone here for any reason but a prune (deleted by hand
   * with its records, a disk or a sync tool that took the whole source, a new drive after a
   * hardware loss) would lose its offsite copy too. Only the offsite copies of archives a prune
   * recorded deleting ({@code pruned}) may go, and the {@code latest} of a source with no archive
   * here stays.
   *
   * @param set the set synced, null for the whole repository
   * @param remote the files offsite that the selection's rules select, relative to what is synced
   * @param pruned the archives with a prune's record here, as {@code set/source/<timestamp>}
   */
  static Offsite offsiteOnly(
      String set, Selection selection, List<String> remote, Set<String> pruned) {
    Set<String> sources = new HashSet<>();
    selection.here().forEach(k -> sources.add(k.substring(0, k.lastIndexOf('/'))));
    List<String> rules = new ArrayList<>();
    Map<String, String> kept = new TreeMap<>();
    java.util.SortedSet<String> deletable = new TreeSet<>();
    for (String line : remote) {
      String path = set == null ? line : set + "/" + line;
      String[] parts = path.split("/", -1);
      if (parts.length != 3) {
        continue; // the rules select nothing at another depth
      }
      String source = parts[0] + "/" + parts[1];
      String file = parts[2];
      String rule = "- /" + glob(line);
      if (file.equals("latest")) {
        if (!sources.contains(source)) {
          rules.add(rule);
        }
        continue;
      }
      String key = key(parts[0], parts[1], RepositoryPaths.timestamp(file));
      if (selection.here().contains(key)) {
        continue; // the selection's rules say what happens to it
      }
      if (pruned.contains(key)) {
        deletable.add(key);
        continue;
      }
      rules.add(rule);
      // named by its archive, or by its manifest when that is all there is offsite
      if (file.endsWith(".manifest.json")) {
        kept.putIfAbsent(key, source + "/" + file);
      } else {
        kept.put(key, source + "/" + file);
      }
    }
    return new Offsite(
        List.copyOf(rules),
        List.copyOf(kept.values()),
        java.util.Collections.unmodifiableSortedSet(deletable));
  }

  /**
   * How {@link Selection#here}, {@link Offsite#pruned} and a sync's prune records name an archive:
   * {@code set/source/<timestamp>}, whatever its kind.
   */
  static String key(String set, String source, String stem) {
    return set + "/" + source + "/" + stem;
  }

  /** {@code name} as an rclone glob that matches only itself. */
  static String glob(String name) {
    StringBuilder out = new StringBuilder();
    for (char c : name.toCharArray()) {
      if ("\\*?[]{}".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }
}
