package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Reading an archive entry by entry against its manifest, shared by verify, restore and single-file
 * reads: every failure names the entry it happened at and is a {@link DamagedArchive} when the
 * archive's own bytes are at fault.
 */
final class ArchiveEntries {
  private ArchiveEntries() {}

  static ArchiveReader open(ArchiveRef ref) throws IOException {
    try {
      return new ArchiveReader(ref.path());
    } catch (IOException e) {
      if (!isOwnStreamFailure(e)) {
        throw e;
      }
      throw new DamagedArchive(
          ref, "archive " + ref.name() + " is corrupt at its start: " + DamagedArchive.why(e));
    }
  }

  static TarArchiveEntry next(ArchiveReader reader, ArchiveRef ref, List<Entry> entries, int i)
      throws IOException {
    try {
      return reader.next();
    } catch (IOException e) {
      if (!isOwnStreamFailure(e)) {
        throw e;
      }
      throw corrupt(ref, entries, i, e);
    }
  }

  static Entry expect(ArchiveRef ref, List<Entry> entries, int i, TarArchiveEntry te) {
    String path = ArchiveReader.pathOf(te);
    if (i >= entries.size()) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": entry '"
              + path
              + "' is not in the manifest (which"
              + " lists "
              + entries.size()
              + " entries)");
    }
    Entry e = entries.get(i);
    String where = "archive " + ref.name() + ": entry #" + (i + 1) + " ";
    if (!stripSlash(path).equals(stripSlash(ArchiveReader.normalizeName(e.path())))) {
      throw new DamagedArchive(
          ref, where + "is '" + path + "' but the manifest says '" + e.path() + "'");
    }
    EntryType type = ArchiveReader.typeOf(te);
    if (type != e.type()) {
      throw new DamagedArchive(
          ref,
          where
              + "'"
              + e.path()
              + "' is a "
              + (type != null ? type : ArchiveReader.kindOf(te))
              + " but the manifest says "
              + e.type());
    }
    if (type == EntryType.FILE && te.getSize() != e.size()) {
      throw new DamagedArchive(
          ref,
          where
              + "'"
              + e.path()
              + "' has "
              + te.getSize()
              + " bytes but the manifest says "
              + e.size());
    }
    // a restore takes mode and time from the manifest, tar xzf from the headers: both must agree
    int mode = te.getMode() & 07777;
    if (mode != (e.modeBits() & 07777)) {
      throw new DamagedArchive(
          ref,
          where
              + "'"
              + e.path()
              + "' has mode "
              + Manifest.modeText(mode)
              + " but the manifest says "
              + e.mode());
    }
    // to the second: the header holds no more, the manifest the nanoseconds a restore applies
    long seconds = te.getLastModifiedTime().toInstant().getEpochSecond();
    if (seconds != e.mtime().getEpochSecond()) {
      throw new DamagedArchive(
          ref,
          where
              + "'"
              + e.path()
              + "' was modified at "
              + te.getLastModifiedTime().toInstant()
              + " but the manifest says "
              + e.mtime());
    }
    if (type == EntryType.SYMLINK || type == EntryType.HARDLINK) {
      String link =
          type == EntryType.HARDLINK
              ? ArchiveReader.normalizeName(te.getLinkName())
              : te.getLinkName();
      String expected =
          type == EntryType.HARDLINK ? ArchiveReader.normalizeName(e.linkTarget()) : e.linkTarget();
      if (!stripSlash(link).equals(stripSlash(expected))) {
        throw new DamagedArchive(
            ref,
            where
                + "'"
                + e.path()
                + "' links to '"
                + link
                + "' but the manifest says '"
                + e.linkTarget()
                + "'");
      }
    }
    return e;
  }

  static void expectEnd(ArchiveRef ref, List<Entry> entries, int i) {
    if (i != entries.size()) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + " ends after "
              + i
              + " entries but the manifest lists "
              + entries.size()
              + "; first missing: '"
              + entries.get(i).path()
              + "'");
    }
  }

  static String drain(ArchiveReader reader, ArchiveRef ref) throws IOException {
    try {
      return reader.drainAndDigest();
    } catch (IOException e) {
      if (isOwnStreamFailure(e)) {
        throw new DamagedArchive(
            ref,
            "archive " + ref.name() + " is corrupt after its last entry: " + DamagedArchive.why(e));
      }
      throw e;
    }
  }

  static void checkArchiveDigest(ArchiveRef ref, Manifest m, String sha) {
    if (!sha.equals(m.archiveSha256())) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": the archive checksum differs from the manifest"
              + " (file sha256 "
              + sha
              + ", manifest "
              + m.archiveSha256()
              + ")");
    }
  }

  static String digest(InputStream in, byte[] buffer, Progress progress, ArchiveRef ref, Entry e)
      throws IOException {
    java.security.MessageDigest md = Digests.sha256();
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        md.update(buffer, 0, n);
        progress.bytes(n);
      }
    } catch (IOException ex) {
      throw DamagedArchive.readFailure(ref, e, ex);
    }
    return Digests.hex(md.digest());
  }

  private static ActionException corrupt(
      ArchiveRef ref, List<Entry> entries, int i, IOException e) {
    String near =
        i < entries.size()
            ? "at entry '"
                + entries.get(i).path()
                + "'"
                + (i > 0 ? " (after '" + entries.get(i - 1).path() + "')" : "")
            : "after its last entry '"
                + (entries.isEmpty() ? "" : entries.get(entries.size() - 1).path())
                + "'";
    return new DamagedArchive(
        ref, "archive " + ref.name() + " is corrupt " + near + ": " + DamagedArchive.why(e));
  }

  /** Decoding failures (bad gzip, CRC, tar header) as opposed to the disk failing under us. */
  static boolean isOwnStreamFailure(IOException e) {
    return !(e instanceof java.nio.file.FileSystemException)
        && !(e instanceof java.io.InterruptedIOException);
  }

  private static String stripSlash(String s) {
    String out = s == null ? "" : s;
    while (out.startsWith("/")) {
      out = out.substring(1);
    }
    return out;
  }
}
