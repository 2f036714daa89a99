package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Which archives a restore writes in parallel: no path twice (as normalized), nothing below an
 * entry that is not a folder, however many implied folders lie between. The walk up stops at the
 * nearest archived folder; random trees give the same answer as looking at every folder above.
 */
class ExtractionIndependentTest {
  private static Entry entry(String path, EntryType type) {
    return new Entry(path, type, "0644", Instant.EPOCH, 0, null, null, 0, 0, 1);
  }

  private static List<Entry> tree(Object... pathsAndTypes) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < pathsAndTypes.length; i += 2) {
      out.add(entry((String) pathsAndTypes[i], (EntryType) pathsAndTypes[i + 1]));
    }
    return out;
  }

  @Test
  void anOrdinaryTreeIsIndependentAndAPathBelowAnythingButAFolderIsNot() {
    assertThat(
            Extraction.independent(
                tree("a", EntryType.DIR, "a/b", EntryType.FILE, "x/y/z", EntryType.FILE)))
        .isTrue();
    assertThat(Extraction.independent(tree("a", EntryType.FILE, "a/b", EntryType.FILE))).isFalse();
    // folders between only implied
    assertThat(Extraction.independent(tree("l", EntryType.SYMLINK, "l/x/y", EntryType.FILE)))
        .isFalse();
    // below a folder that is itself below a file
    assertThat(
            Extraction.independent(
                tree("f", EntryType.FILE, "f/d", EntryType.DIR, "f/d/x", EntryType.FILE)))
        .isFalse();
    // one path twice, written two ways
    assertThat(Extraction.independent(tree("a/b", EntryType.FILE, "./a//b", EntryType.FILE)))
        .isFalse();
  }

  @Test
  void aPathIsJoinedAsItsComponentsAre() {
    Random r = new Random(8);
    String[] pieces = {"a", "b", ".", "..", "", ".a", "a.", "..."};
    for (int round = 0; round < 20_000; round++) {
      StringBuilder p = new StringBuilder(r.nextInt(5) == 0 ? "./" : "");
      int n = 1 + r.nextInt(4);
      for (int i = 0; i < n; i++) {
        p.append(i == 0 ? "" : "/").append(pieces[r.nextInt(pieces.length)]);
      }
      if (r.nextInt(5) == 0) {
        p.append('/');
      }
      String path = p.toString();
      String expected;
      try {
        expected = String.join("/", Extraction.parts(path));
      } catch (RuntimeException e) {
        // an empty name: joined refuses it the same way
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Extraction.joined(path))
            .hasMessage(e.getMessage());
        continue;
      }
      assertThat(Extraction.joined(path)).as(path).isEqualTo(expected);
    }
  }

  @Test
  void theWalkUpGivesWhatLookingAtEveryFolderAboveGives() {
    Random r = new Random(5);
    EntryType[] kinds = {EntryType.DIR, EntryType.DIR, EntryType.FILE, EntryType.SYMLINK};
    int dependent = 0;
    for (int round = 0; round < 2_000; round++) {
      List<Entry> entries = new ArrayList<>();
      int n = 1 + r.nextInt(8);
      for (int i = 0; i < n; i++) {
        StringBuilder p = new StringBuilder();
        int depth = 1 + r.nextInt(4);
        for (int d = 0; d < depth; d++) {
          p.append(d == 0 ? "" : "/").append((char) ('a' + r.nextInt(2)));
        }
        entries.add(entry(p.toString(), kinds[r.nextInt(kinds.length)]));
      }
      boolean expected = everyFolderAbove(entries);
      assertThat(Extraction.independent(entries)).as("%s", entries).isEqualTo(expected);
      dependent += expected ? 0 : 1;
    }
    assertThat(dependent).as("both answers are tried").isBetween(100, 1_900);
  }

  /** The rule as first written: every prefix of every path looked up. */
  private static boolean everyFolderAbove(List<Entry> entries) {
    Map<String, EntryType> types = new HashMap<>();
    for (Entry e : entries) {
      if (types.put(e.path(), e.type()) != null) {
        return false;
      }
    }
    for (Entry e : entries) {
      String[] parts = e.path().split("/");
      for (int i = 1; i < parts.length; i++) {
        EntryType above = types.get(String.join("/", List.of(parts).subList(0, i)));
        if (above != null && above != EntryType.DIR) {
          return false;
        }
      }
    }
    return true;
  }
}
