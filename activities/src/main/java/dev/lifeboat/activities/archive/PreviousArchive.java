package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest verified archive of the source, open for copying members out of it; files are looked
 * up by path. A directory backup matches only entries with ctime and inode; a tar stream matches by
 * content instead ({@link #candidate}). Only member runs whose CRC-32C the manifest gives (format
 * 4) are copied, and the copy checks it: bytes the disk changed after the archive was verified fail
 * the backup ({@link PreviousArchiveDamaged}) instead of reaching the new archive.
 */
final class PreviousArchive implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PreviousArchive.class);
  private static final int BLOCK = 512;

  /** The two zero records that end a tar stream, the archive's last member. */
  private static final int END_BLOCKS = 2 * BLOCK;

  private final ArchiveRef ref;
  private final Compression format;
  private final FileChannel channel;
  private final long size;
  private final List<Entry> entries;
  private final long endOfEntries;

  /**
   * Where each reusable file is in {@link #entries}: open addressing on the path's hash, each slot
   * an entry's index plus one (0: empty). 8-16 bytes an entry where a map of boxed indices took ~50
   * a file.
   */
  private final int[] files;

  private PreviousArchive(
      ArchiveRef ref, Compression format, Manifest m, FileChannel channel, long size) {
    this.ref = ref;
    this.format = format;
    this.channel = channel;
    this.size = size;
    this.entries = m.entries();
    this.endOfEntries = m.totals().tarBytes() - END_BLOCKS;
    this.files = new int[Math.max(2, Integer.highestOneBit(Math.max(1, entries.size())) << 2)];
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.type() == EntryType.FILE && e.sha256() != null) {
        // a path held twice (a manifest Lifeboat did not write): the last one, as a map keeps
        files[slot(e.path())] = i + 1;
      }
    }
  }

  /** The slot of {@code path}: where it is held, or the empty one where it would be. */
  private int slot(String path) {
    int mask = files.length - 1;
    int h = path.hashCode();
    int at = (h ^ (h >>> 16)) & mask;
    while (files[at] != 0 && !entries.get(files[at] - 1).path().equals(path)) {
      at = (at + 1) & mask;
    }
    return at;
  }

  /** Where the file is in {@link #entries}, or -1 when the previous archive holds no such file. */
  private int indexOf(String path) {
    return files[slot(path)] - 1;
  }

  /**
   * True when the manifest gives the CRC-32C of entry {@code i}'s member run (format 4), which the
   * copy checks: runs of older manifests are not copied, their files are read.
   */
  private boolean checkable(int i) {
    return entries.get(i).memberCrc32c() != null;
  }

  /** True when entry {@code i} shares its members with others (a pack). */
  private boolean packed(int i) {
    int start = Checker.runStart(entries, i);
    return Checker.runEnd(entries, start) - start > 1;
  }

  /** The entry's length in the tar stream: up to the next entry, the last one up to the end. */
  private long recordedTarLength(int i) {
    return tarEnd(i) - entries.get(i).tarOffset();
  }

  /** Where the entry's tar bytes end: the next entry's offset, the last one's at the end. */
  private long tarEnd(int i) {
    return i + 1 < entries.size() ? entries.get(i + 1).tarOffset() : endOfEntries;
  }

  /**
   * Empty when the source has no verified archive or its manifest does not describe the file that
   * is there.
   */
  static Optional<PreviousArchive> open(
      Repository repository, String set, String source, Compression format) {
    Optional<ArchiveInfo> newest;
    try {
      newest = repository.newestVerified(set, source);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    ArchiveRef ref = newest.get().ref();
    String changed = ArchiveStates.manifestChangedSinceVerify(ref);
    if (changed != null) {
      // rot or an edit: the digests and places the copy would take are no longer the checked ones
      repository.markDamaged(ref, "backup", "archive " + ref.name() + ": " + changed);
      LOG.warn("not reusing {}: {}", ref.path(), changed);
      return Optional.empty();
    }
    if (Compression.ofArchive(ref.name()) != format) {
      // members of the other kind would make a mixed stream no tar could read
      LOG.info("not reusing {}: this backup writes {}", ref.path(), format.argument());
      return Optional.empty();
    }
    FileChannel ch = null;
    try {
      Manifest m = repository.manifest(ref);
      ch = FileChannel.open(ref.path(), StandardOpenOption.READ);
      long size = ch.size();
      if (!format.manifestValue().equals(m.compression())
          || m.totals() == null
          || m.totals().compressedBytes() != size) {
        LOG.info(
            "not reusing {}: its manifest does not describe the file ({} bytes)", ref.path(), size);
        ch.close();
        return Optional.empty();
      }
      return Optional.of(new PreviousArchive(ref, format, m, ch, size));
    } catch (IOException | RuntimeException e) {
      LOG.info("not reusing {}: {}", ref.path(), e.toString());
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // nothing was read from it
        }
      }
      return Optional.empty();
    }
  }

  ArchiveRef ref() {
    return ref;
  }

  /**
   * Copies the file's member if the file is as the previous archive recorded it, judged by a stat
   * taken now (which must also agree with the scan's); false means it has to be read.
   */
  boolean reuse(ArchiveWriter writer, SourceScan.Found found) throws IOException {
    return reuse(writer, found, List.of(), 0) > 0;
  }

  /**
   * Copies the members of {@code found}, the scan's item {@code i} (the items after it are {@code
   * scan}'s), if the previous archive holds them and the file is as it recorded, judged by a stat
   * taken now (which must also agree with the scan's). A file of a pack is copied only with the
   * whole pack: the items that follow must be the pack's other files, in its order, all unchanged.
   * Returns how many items were copied; 0 means {@code found} has to be read.
   */
  int reuse(ArchiveWriter writer, SourceScan.Found found, List<SourceScan.Found> scan, int i)
      throws IOException {
    int at = indexOf(found.item().path());
    if (at < 0) {
      return 0;
    }
    int start = Checker.runStart(entries, at);
    int end = Checker.runEnd(entries, start);
    int n = end - start;
    if (start != at || n > 1 && i + n > scan.size() || !checkable(at)) {
      return 0;
    }
    // the files of a pack share its members: they are looked at once
    if (!isMember(entries.get(start))) {
      return 0;
    }
    List<ArchiveWriter.Item> items = new ArrayList<>(n);
    List<SourceScan.Stamp> stamps = new ArrayList<>(n);
    long[] tarLengths = new long[n];
    for (int k = 0; k < n; k++) {
      SourceScan.Found f = k == 0 ? found : scan.get(i + k);
      Entry old = entries.get(start + k);
      SourceScan.Stamp now = f == null ? null : unchanged(f, old);
      if (now == null) {
        return 0;
      }
      tarLengths[k] = fittingTarLength(old, recordedTarLength(start + k));
      if (tarLengths[k] < 0) {
        return 0;
      }
      items.add(f.item());
      stamps.add(now);
    }
    writer.reusePack(items, entries.subList(start, end), channel, tarLengths, stamps);
    return n;
  }

  /**
   * An unchanged file's bytes as the previous archive holds them, for a file of a pack that cannot
   * be copied whole (another of its files changed): the file is packed anew from these bytes
   * instead of being read from the source. Null when the file is not in a pack there, changed, or
   * its bytes cannot be had or do not match their digest: then it is read.
   */
  Kept kept(SourceScan.Found found) {
    int at = indexOf(found.item().path());
    if (at < 0) {
      return null;
    }
    int start = Checker.runStart(entries, at);
    int end = Checker.runEnd(entries, start);
    SourceScan.Stamp now = end - start > 1 ? unchanged(found, entries.get(at)) : null;
    if (now == null) {
      return null;
    }
    if (packStart != start) {
      packStart = start;
      try {
        decodePack(start, end);
      } catch (IOException | RuntimeException e) {
        // tried once per pack: its files are read from the source
        packBytes = null;
        LOG.info(
            "not reusing the pack of {} from {}: {}",
            found.item().path(),
            ref.name(),
            e.toString());
      }
    }
    int from = packBytes == null ? -1 : packFrom[at - start];
    if (from < 0) {
      return null;
    }
    Entry old = entries.get(at);
    int length = (int) old.size();
    java.security.MessageDigest md = Digests.sha256();
    md.update(packBytes, from, length);
    String sha256 = Digests.hex(md.digest());
    if (!sha256.equals(old.sha256())) {
      return null;
    }
    return new Kept(packBytes, from, length, sha256, now);
  }

  /**
   * An unchanged file's bytes from the previous archive ({@code length} of {@code data} from {@code
   * offset}, whose digest matched the manifest's {@code sha256}), and the stat that found it
   * unchanged.
   */
  record Kept(byte[] data, int offset, int length, String sha256, SourceScan.Stamp stamp) {}

  // the pack whose files kept() gives, decoded once: the scan asks for them in order; each file's
  // bytes are where packFrom says in the pack's tar (-1 for none)
  private int packStart = -1;
  private byte[] packBytes;
  private int[] packFrom;
  private MemberDecoder decoder;

  /**
   * The data of each file of the run, null for other entries: the run's members decoded in one go
   * and each file's bytes taken where the manifest's tar offsets put them, after its header. No tar
   * reader: a pack's unchanged files are wanted only when a neighbour changed, too seldom in a run
   * for a fresh JVM to compile one (Commons Compress's reader cost a 1 % change of the bench tree
   * ~0.15 CPU-s). A wrong offset gives bytes whose digest {@link #kept} refuses.
   */
  private void decodePack(int start, int end) throws IOException {
    if (decoder == null) {
      decoder = new MemberDecoder(format);
    }
    long base = entries.get(start).tarOffset();
    long runBytes = tarEnd(end - 1) - base;
    if (runBytes <= 0 || runBytes > MAX_PACK_TAR) {
      throw new IOException("the pack's tar length " + runBytes + " is not a pack's");
    }
    Entry first = entries.get(start);
    byte[] tar;
    try (InputStream in = decoder.open(channel, first.memberOffset(), first.memberLength())) {
      tar = in.readNBytes((int) runBytes);
      // read to the member's end: its CRC is checked there, and a damaged pack is not used at all
      // (the files before a flip would decode whole and pass their digests, run to run not alike)
      in.transferTo(OutputStream.nullOutputStream());
    }
    int[] at = new int[end - start];
    Arrays.fill(at, -1);
    for (int i = start; i < end; i++) {
      Entry e = entries.get(i);
      if (e.type() != EntryType.FILE || e.size() > GzipMembers.PACK_FILE_MAX) {
        continue;
      }
      // the entry's data ends its tar bytes, padded to a whole block
      long from = tarEnd(i) - base - padded(e.size());
      if (from >= e.tarOffset() - base + BLOCK && from + e.size() <= tar.length) {
        at[i - start] = (int) from;
      }
    }
    packBytes = tar;
    packFrom = at;
  }

  /** More tar than any pack holds (a pack closes past 64 KiB; its last file is at most 32 KiB). */
  private static final long MAX_PACK_TAR = 1 << 20;

  /**
   * Whether the scan already shows {@code found} as new or changed since this archive, so that it
   * is read from the source whatever else is reused (see {@link #unchanged}, which also states the
   * file again).
   */
  boolean changedAtScan(SourceScan.Found found) {
    int at = indexOf(found.item().path());
    if (at < 0) {
      return true;
    }
    Entry old = entries.get(at);
    ArchiveWriter.Item item = found.item();
    SourceScan.Stamp scanned = found.stamp();
    return scanned == null
        || old.sha256() == null
        || old.ctime() == null
        || old.inode() == null
        || old.size() != item.size()
        || old.modeBits() != (item.mode() & 07777)
        || !sameMtime(old.mtime(), item.mtime())
        || !old.ctime().equals(scanned.ctime())
        || old.inode() != scanned.inode();
  }

  /**
   * The stat taken now if {@code found} is the file {@code old} describes, unchanged; else null.
   */
  private static SourceScan.Stamp unchanged(SourceScan.Found found, Entry old) {
    ArchiveWriter.Item item = found.item();
    if (item.type() != EntryType.FILE
        || old.type() != EntryType.FILE
        || old.sha256() == null
        || !item.path().equals(old.path())
        || found.stamp() == null
        || old.ctime() == null
        || old.inode() == null) {
      return null;
    }
    SourceScan.Stamp now;
    try {
      now = SourceScan.Stamp.read(found.file());
    } catch (IOException e) {
      return null;
    }
    if (!now.equals(found.stamp())
        || old.size() != item.size()
        || old.modeBits() != (item.mode() & 07777)
        || !sameMtime(old.mtime(), item.mtime())
        || !old.ctime().equals(now.ctime())
        || old.inode() != now.inode()) {
      return null;
    }
    return now;
  }

  /**
   * Whether a file's mtime is the one a manifest recorded, to the precision it was recorded in:
   * manifests written before Lifeboat kept nanoseconds hold whole seconds, and their unchanged
   * files are still copied after an upgrade. Sound because ctime and inode are compared exactly: a
   * file touched to another fraction of the same second has a new ctime (the kernel sets it on
   * every change of content or time).
   */
  static boolean sameMtime(Instant recorded, Instant now) {
    return recorded.getNano() == 0
        ? recorded.getEpochSecond() == now.getEpochSecond()
        : recorded.equals(now);
  }

  /**
   * The old member a file arriving in a tar stream may be copied from, once its bytes prove to be
   * the old ones: null unless path, size, mtime and mode are what the manifest recorded and the old
   * member begins with exactly the header this archive would write for {@code item} (which also
   * covers owner, group and their names). An old member that cannot be decoded is no candidate: the
   * file is compressed anew.
   */
  Candidate candidate(ArchiveWriter.Item item) throws IOException {
    int at = indexOf(item.path());
    Entry old = at < 0 ? null : entries.get(at);
    if (old == null
        // a file of a pack shares its members: they cannot be copied for it alone
        || packed(at)
        || !checkable(at)
        || old.size() != item.size()
        || old.modeBits() != (item.mode() & 07777)
        // a stream's headers carry whole seconds
        || old.mtime().getEpochSecond() != item.mtime().getEpochSecond()) {
      return null;
    }
    long tarLength = tarLength(old, recordedTarLength(at));
    if (tarLength < 0) {
      return null;
    }
    byte[] header = ArchiveWriter.header(item);
    if (header.length != tarLength - padded(old.size())) {
      return null;
    }
    byte[] oldHeader;
    try (InputStream decoded =
        format.decoding(
            new java.io.BufferedInputStream(
                new MemberDecoder.Range(channel, old.memberOffset(), old.memberLength()), 8192))) {
      oldHeader = decoded.readNBytes(header.length);
    } catch (IOException e) {
      LOG.info("not reusing {} from {}: {}", item.path(), ref.name(), e.toString());
      return null;
    }
    if (!Arrays.equals(header, oldHeader)) {
      return null;
    }
    return new Candidate(old, tarLength);
  }

  /** An old member whose header fits; its data is the file's if the digests agree. */
  final class Candidate {
    private final Entry old;
    private final long tarLength;

    private Candidate(Entry old, long tarLength) {
      this.old = old;
      this.tarLength = tarLength;
    }

    boolean holds(byte[] sha256) {
      return Digests.hex(sha256).equals(old.sha256());
    }

    void copy(ArchiveWriter writer, ArchiveWriter.Item item) throws IOException {
      writer.reuse(item, old, channel, tarLength, null);
    }
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  /**
   * The entry's length in the tar stream, or -1 when its members do not look right (not starting as
   * a member of this kind, outside the file, a length that cannot hold the file's data): then the
   * file is read instead.
   */
  private long tarLength(Entry e, long length) throws IOException {
    return isMember(e) ? fittingTarLength(e, length) : -1;
  }

  /** Whether the entry's member run lies inside the archive and starts as a member does. */
  private boolean isMember(Entry e) throws IOException {
    if (e.memberOffset() < 0 || e.memberOffset() + e.memberLength() > size) {
      return false;
    }
    ByteBuffer head = ByteBuffer.allocate(format.magicLength());
    channel.read(head, e.memberOffset());
    return format.looksLikeMember(Arrays.copyOf(head.array(), head.position()), e.memberLength());
  }

  /**
   * {@code length}, the tar bytes the manifest gives the entry, if they hold its header, data and
   * padding in whole records; -1 otherwise.
   */
  private static long fittingTarLength(Entry e, long length) {
    return length < padded(e.size()) + BLOCK || length % BLOCK != 0 ? -1 : length;
  }

  @Override
  public void close() throws IOException {
    if (decoder != null) {
      decoder.close();
    }
    channel.close();
  }
}
