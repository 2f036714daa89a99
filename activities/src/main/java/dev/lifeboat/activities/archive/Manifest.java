package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * The table of contents that travels next to an archive as {@code <timestamp>.manifest.json}: every
 * entry with its SHA-256 (regular files) and where its gzip member starts, so one file can be read
 * without reading the whole archive.
 *
 * <p>Offsets: {@code memberOffset}/{@code memberLength} locate the entry's own gzip members in the
 * archive file (one member per MiB of tar at most, none shared with another entry); {@code
 * tarOffset} is where the entry's first header (a PAX header, if any) starts in the uncompressed
 * tar stream. The end-of-archive blocks are a final member at {@code totals.endMemberOffset}.
 *
 * <p>Format 2 adds, for regular files of a directory backup, the file's {@code ctime} and {@code
 * inode} when it was read: the next backup of the source copies the members of a file whose path,
 * size, mtime, mode, ctime and inode are unchanged instead of reading it again. Format 1 manifests
 * (without them) are read as before.
 *
 * <p>Format 3 lets consecutive small files share their members (a pack): their entries then give
 * the same {@code memberOffset}/{@code memberLength}, and a reader decodes the pack from its start
 * (the first entry placed there). Older archives, where no entries share, read the same way.
 *
 * <p>Format 4 adds each entry's {@code memberCrc32c}: the next backup copies only member runs that
 * have one, and only if the bytes it copies still have it.
 *
 * <p>Format 5 adds {@code root}: the backed-up folder's own mode, time and owner, which no entry
 * carries (entries are named from inside it). A restore of the whole archive gives them to the
 * folder it restores into, so a home directory comes back {@code 0700} and its user's, not {@code
 * 0755} and root's. Older manifests have none and the target keeps what it has. Its {@code path}
 * (added within format 5, absent before and for streams) is the folder's real path.
 *
 * <p>{@code unreadable} (added within format 5, after the entries, so older Lifeboats read such a
 * manifest as before) counts the entries the backup could not read and left out (denied, an I/O
 * error, vanished: {@link PathNote#unreadable}); 0 means the archive holds its whole source. Null
 * in manifests written before it was recorded: not known.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
    int formatVersion,
    String set,
    String source,
    String archive,
    Instant created,
    String compression,
    List<Entry> entries,
    Totals totals,
    String archiveSha256,
    Root root,
    Long unreadable) {

  public static final int FORMAT_VERSION = 5;

  /**
   * Each tar entry (header, data, padding) is its own run of gzip members, or shares a pack's;
   * concatenated they are one .tar.gz. (The name is from format 1, when an entry was exactly one
   * member; readers handle every format.)
   */
  public static final String COMPRESSION = "gzip-member-per-entry";

  public Manifest {
    // a crafted manifest's missing or null entries are named by ManifestCheck, not a parser error
    entries =
        entries == null
            ? null
            : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(entries));
  }

  /**
   * A manifest that does not say how many entries could not be read (written before it was
   * recorded).
   */
  public Manifest(
      int formatVersion,
      String set,
      String source,
      String archive,
      Instant created,
      String compression,
      List<Entry> entries,
      Totals totals,
      String archiveSha256,
      Root root) {
    this(
        formatVersion,
        set,
        source,
        archive,
        created,
        compression,
        entries,
        totals,
        archiveSha256,
        root,
        null);
  }

  /**
   * This manifest's head (format, set, source, archive, time, compression) and unreadable count
   * with other contents.
   */
  public Manifest with(List<Entry> entries, Totals totals, String archiveSha256, Root root) {
    return new Manifest(
        formatVersion,
        set,
        source,
        archive,
        created,
        compression,
        entries,
        totals,
        archiveSha256,
        root,
        unreadable);
  }

  /** This manifest with the count of entries its backup could not read. */
  public Manifest withUnreadable(long count) {
    return new Manifest(
        formatVersion,
        set,
        source,
        archive,
        created,
        compression,
        entries,
        totals,
        archiveSha256,
        root,
        count);
  }

  /** A manifest without the folder's own metadata (formats 1 to 4). */
  public Manifest(
      int formatVersion,
      String set,
      String source,
      String archive,
      Instant created,
      String compression,
      List<Entry> entries,
      Totals totals,
      String archiveSha256) {
    this(
        formatVersion,
        set,
        source,
        archive,
        created,
        compression,
        entries,
        totals,
        archiveSha256,
        null);
  }

  /**
   * The backed-up folder itself: {@code mode} as octal text like an entry's; {@code user} and
   * {@code group} names (null when the ids have none), tried before the numbers as for entries;
   * {@code path}, the folder's real path when a directory backup read it (null for streams and
   * older manifests): a backup of another folder of the same name into the same source is refused
   * while this one is still there, as the two would share one source and one retention chain.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Root(
      String mode, Instant mtime, long uid, long gid, String user, String group, String path) {
    /** A folder known by its metadata alone (a stream's, an older manifest's). */
    public Root(String mode, Instant mtime, long uid, long gid, String user, String group) {
      this(mode, mtime, uid, gid, user, group, null);
    }

    public int modeBits() {
      return Integer.parseInt(mode, 8) & 07777;
    }
  }

  private static final String[] MODE_TEXT = new String[07777 + 1];

  // Four octal digits by hand: 4,096 String.format calls here made the JIT compile the
  // Formatter's regex, over a second of a cold backup's CPU.
  static {
    for (int m = 0; m <= 07777; m++) {
      MODE_TEXT[m] =
          new String(
              new char[] {
                (char) ('0' + (m >> 9 & 7)),
                (char) ('0' + (m >> 6 & 7)),
                (char) ('0' + (m >> 3 & 7)),
                (char) ('0' + (m & 7))
              });
    }
  }

  /** A mode's permission bits as the manifest writes them ("0644"): one shared String each. */
  public static String modeText(int mode) {
    return MODE_TEXT[mode & 07777];
  }

  /**
   * A tar entry's name or a hardlink's target as entries' paths spell it: no leading "./", no
   * trailing "/". A hardlink names its file this way.
   */
  public static String entryName(String tarName) {
    return ArchiveReader.normalizeName(tarName);
  }

  /** What an entry is; the JSON spelling is the lower-case word. */
  public enum EntryType {
    @JsonProperty("file")
    FILE,
    @JsonProperty("dir")
    DIR,
    @JsonProperty("symlink")
    SYMLINK,
    @JsonProperty("hardlink")
    HARDLINK;

    // the annotations' words, for the readers and writers that go without the data binder
    private final String word = name().toLowerCase(java.util.Locale.ROOT);

    /** The JSON spelling. */
    public String word() {
      return word;
    }

    /** The type spelled {@code word} in JSON, null for none. */
    public static EntryType ofWord(String word) {
      for (EntryType t : values()) {
        if (t.word.equals(word)) {
          return t;
        }
      }
      return null;
    }
  }

  /**
   * One tar entry. {@code path} is relative to the source root, '/'-separated, without a trailing
   * slash; {@code mode} is octal text such as {@code "0750"}; {@code sha256} is set for files only,
   * {@code linkTarget} for links only (a hardlink's target is another entry's path); {@code mtime}
   * is as precise as the source gave it (nanoseconds from a local directory, which a restore
   * applies; whole seconds from a tar stream and in manifests written before), its tar header
   * holding the whole seconds; {@code ctime} and {@code inode} are set for files read from a local
   * directory (format 2), null otherwise; {@code memberCrc32c} (format 4) is the CRC-32C of the
   * bytes of the entry's member run in the archive file (a pack's, for each of its files), null in
   * older manifests. A backup copies a member run from this archive only when it has one, and
   * checks the bytes it copies against it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Entry(
      String path,
      EntryType type,
      String mode,
      Instant mtime,
      long size,
      String sha256,
      String linkTarget,
      long tarOffset,
      long memberOffset,
      long memberLength,
      Instant ctime,
      Long inode,
      Long memberCrc32c) {

    /** An entry as format 2 and 3 manifests hold it: no checksum of its members. */
    public Entry(
        String path,
        EntryType type,
        String mode,
        Instant mtime,
        long size,
        String sha256,
        String linkTarget,
        long tarOffset,
        long memberOffset,
        long memberLength,
        Instant ctime,
        Long inode) {
      this(
          path,
          type,
          mode,
          mtime,
          size,
          sha256,
          linkTarget,
          tarOffset,
          memberOffset,
          memberLength,
          ctime,
          inode,
          null);
    }

    /** The same entry with the CRC-32C of its member run. */
    Entry withMemberCrc32c(Long crc) {
      return new Entry(
          path,
          type,
          mode,
          mtime,
          size,
          sha256,
          linkTarget,
          tarOffset,
          memberOffset,
          memberLength,
          ctime,
          inode,
          crc);
    }

    /** An entry without the reuse fields (format 1, tar streams, links and directories). */
    public Entry(
        String path,
        EntryType type,
        String mode,
        Instant mtime,
        long size,
        String sha256,
        String linkTarget,
        long tarOffset,
        long memberOffset,
        long memberLength) {
      this(
          path,
          type,
          mode,
          mtime,
          size,
          sha256,
          linkTarget,
          tarOffset,
          memberOffset,
          memberLength,
          null,
          null);
    }

    public Entry {
      // a large manifest holds a few distinct modes many times over
      if (mode != null && mode.length() == 4) {
        int bits = 0;
        for (int i = 0; i < 4 && bits >= 0; i++) {
          char c = mode.charAt(i);
          bits = c >= '0' && c <= '7' ? bits * 8 + (c - '0') : -1;
        }
        if (bits >= 0) {
          mode = MODE_TEXT[bits];
        }
      }
    }

    public int modeBits() {
      return Integer.parseInt(mode, 8);
    }
  }

  /**
   * Counts and sizes: {@code bytes} is the sum of regular file sizes, {@code tarBytes} the plain
   * tar size.
   */
  public record Totals(
      long entries,
      long files,
      long bytes,
      long tarBytes,
      long compressedBytes,
      long endMemberOffset) {}
}
