package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeboat.activities.archive.ArchiveWriter.Item;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written header is Commons Compress's byte for byte wherever it answers, and it answers
 * for the entries a home directory is made of (else reuse of a previous archive's members would
 * stop at the first backup after it came in).
 */
class TarHeadersTest {
  private static final String[] PARTS = {
    "notebooks",
    "line\nbreak",
    "tab\there",
    "del\u007f",
    "ÿ",
    "\u0080",
    "Überprüfung",
    "数据分析",
    "проект-α",
    "größe",
    "a b",
    "x\\y",
    "model.safetensors",
    ".venv",
    "lib",
    "python3.11",
    "site-packages",
    "%41",
    "日本語のファイル名",
    "é",
    "-rf",
    "{{x}}"
  };

  private static String name(Random r, int maxParts) {
    StringBuilder s = new StringBuilder();
    int n = 1 + r.nextInt(maxParts);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        s.append('/');
      }
      s.append(PARTS[r.nextInt(PARTS.length)]);
      if (r.nextBoolean()) {
        s.append(r.nextInt(1000));
      }
    }
    return s.toString();
  }

  private static Item item(Random r) {
    EntryType type = EntryType.values()[r.nextInt(EntryType.values().length)];
    String link =
        type == EntryType.SYMLINK || type == EntryType.HARDLINK
            ? (r.nextInt(4) == 0 ? "/" : "") + name(r, 4)
            : null;
    long[] sizes = {0, 1, 511, 512, 4096, 123_456_789, 077777777777L, 1L << 40};
    long[] ids = {0, 1000, 65534, 07777777, 010000000, 4_000_000_000L};
    long[] seconds = {0, 1, 1_700_000_000L, 077777777777L, 1L << 34, -1, -86_400L * 365 * 10};
    String[] owners = {
      null, "root", "jovyan", "user-with-a-name-of-31-chars-xx", "a".repeat(32), "ü"
    };
    return new Item(
        name(r, 6),
        type,
        r.nextInt(010000),
        Instant.ofEpochSecond(seconds[r.nextInt(seconds.length)], r.nextInt(1_000_000_000)),
        type == EntryType.FILE ? sizes[r.nextInt(sizes.length)] : 0,
        link,
        ids[r.nextInt(ids.length)],
        ids[r.nextInt(ids.length)],
        owners[r.nextInt(owners.length)],
        owners[r.nextInt(owners.length)]);
  }

  @Test
  void everyHeaderItWritesIsCommonsCompresssByteForByte() throws Exception {
    Random r = new Random(12);
    int answered = 0;
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      items.add(item(r));
    }
    for (Item item : items) {
      byte[] fast = TarHeaders.of(item);
      if (fast != null) {
        answered++;
        assertThat(fast).as(item.toString()).isEqualTo(ArchiveWriter.streamHeader(item));
      }
    }
    assertThat(answered).as("headers written by hand").isGreaterThan(2_000);
  }

  @Test
  void aHomeDirectorysEntriesAreAnsweredAndTheOddOnesLeftToCommonsCompress() throws Exception {
    Instant t = Instant.parse("2026-03-04T05:06:07.5Z");
    List<Item> ordinary =
        List.of(
            new Item(
                "notebooks/a.ipynb", EntryType.FILE, 0644, t, 12, null, 1000, 1000, "me", "me"),
            new Item("Überprüfung/数据", EntryType.DIR, 0755, t, 0, null, 0, 0, "root", "root"),
            new Item(
                ".venv/bin/python",
                EntryType.SYMLINK,
                0777,
                t,
                0,
                "/usr/bin/python3.11",
                1,
                1,
                null,
                null),
            new Item("проект/β", EntryType.SYMLINK, 0777, t, 0, "../größe", 1, 1, "me", null),
            new Item("b", EntryType.HARDLINK, 0600, t, 0, "ä", 1, 1, "me", "me"));
    for (Item item : ordinary) {
      assertThat(TarHeaders.of(item)).as(item.path()).isEqualTo(ArchiveWriter.streamHeader(item));
    }
    List<Item> odd =
        List.of(
            new Item("d/".repeat(50), EntryType.FILE, 0644, t, 1, null, 0, 0, null, null),
            new Item("big", EntryType.FILE, 0644, t, 1L << 36, null, 0, 0, null, null),
            new Item(
                "old",
                EntryType.FILE,
                0644,
                Instant.parse("1960-01-01T00:00:00Z"),
                1,
                null,
                0,
                0,
                null,
                null),
            new Item("ids", EntryType.FILE, 0644, t, 1, null, 1L << 31, 0, null, null),
            new Item("owner", EntryType.FILE, 0644, t, 1, null, 0, 0, "jürgen", null),
            new Item("emoji-\uD83D\uDE00", EntryType.FILE, 0644, t, 1, null, 0, 0, null, null));
    for (Item item : odd) {
      assertThat(TarHeaders.of(item)).as(item.path()).isNull();
      assertThat(ArchiveWriter.header(item)).isEqualTo(ArchiveWriter.streamHeader(item));
    }
  }
}
