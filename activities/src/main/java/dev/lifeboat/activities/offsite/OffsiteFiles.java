package dev.lifeboat.activities.offsite;

import dev.lifeboat.activities.archive.ArchiveInfo;
import dev.lifeboat.activities.archive.Repository;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
   */
  record Selection(List<String> rules, List<String> archives, List<String> skippedDamaged) {}

  private OffsiteFiles() {}

  /** The selection for the whole repository ({@code set} null) or one set of it. */
  static Selection select(Path repository, String set) throws IOException {
    List<String> rules = new ArrayList<>();
    List<String> archives = new ArrayList<>();
    List<String> damaged = new ArrayList<>();
    for (ArchiveInfo a : new Repository(repository).list(set, null)) {
      String name = a.set() + "/" + a.source() + "/" + a.name();
      if (!a.damaged()) {
        archives.add(name);
        continue;
      }
      damaged.add(name);
      // set and source names hold no glob characters (Repository.checkName); stems are digits
      String dir = "/" + (set == null ? a.set() + "/" : "") + a.source() + "/";
      rules.add("- " + dir + a.name());
      rules.add("- " + dir + RepositoryPaths.timestamp(a.name()) + ".manifest.json");
    }
    // anchored at the source folders' depth: nothing in hidden or deeper folders (a fetch's
    // partial files, restore records) matches
    String depth = set == null ? "/*/*/" : "/*/";
    for (String kept : KEPT) {
      rules.add("+ " + depth + kept);
    }
    rules.add("- *");
    return new Selection(List.copyOf(rules), List.copyOf(archives), List.copyOf(damaged));
  }
}
