package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Reads an archive out as a stream without restoring it: one file by seeking to its member (a
 * download), or the whole archive as a plain tar stream (a restore into a pod). A failed check
 * throws {@link DamagedArchive}; the facade records it.
 */
final class SingleFile {
  private final Catalog catalog;

  SingleFile(Catalog catalog) {
    this.catalog = catalog;
  }

  /**
   * Writes one regular file of an archive to {@code out} (not closed), reading only that file's
   * gzip member at the offset the manifest records; a hardlink gives its target's content. The data
   * is checked against the manifest's SHA-256 as it goes out: a mismatch fails the call after the
   * bytes went out.
   */
  long readFile(ArchiveRef ref, String path, OutputStream out) throws IOException {
    Manifest m = catalog.manifest(ref);
    List<Entry> all = m.entries();
    // the last entry of a name, as tar xzf and a restore leave it
    int at = lastIndex(all, ArchiveReader.normalizeName(path), all.size(), false);
    if (at < 0) {
      throw ActionException.invalid("archive " + ref.name() + " has no entry '" + path + "'");
    }
    Entry e = all.get(at);
    if (e.type() == EntryType.HARDLINK) {
      String target = ArchiveReader.normalizeName(e.linkTarget());
      int file = lastIndex(all, target, at, true);
      if (file < 0) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": hardlink '"
                + path
                + "' points to '"
                + target
                + "', which the manifest does not list as a file before it");
      }
      at = file;
      e = all.get(file);
    }
    if (e.type() != EntryType.FILE) {
      throw ActionException.invalid(
          "'"
              + path
              + "' in archive "
              + ref.name()
              + " is a "
              + e.type().name().toLowerCase(java.util.Locale.ROOT)
              + ", not a file");
    }
    Entry file = e;
    java.security.MessageDigest md = Digests.sha256();
    long n;
    // the entry's members (from the start of its pack), decoded as verify and restore decode them
    try (java.nio.channels.FileChannel ch =
            java.nio.channels.FileChannel.open(ref.path(), java.nio.file.StandardOpenOption.READ);
        MemberDecoder decoder = new MemberDecoder(Compression.checked(ref, m))) {
      if (file.memberOffset() < 0
          || file.memberLength() <= 0
          || file.memberOffset() + file.memberLength() > ch.size()) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": the members of '"
                + file.path()
                + "' at "
                + file.memberOffset()
                + "+"
                + file.memberLength()
                + " lie outside the archive ("
                + ch.size()
                + " bytes)");
      }
      n =
          Checker.readEntry(
              ref,
              ch,
              all,
              at,
              decoder,
              (te, data) -> {
                byte[] buffer = new byte[64 * 1024];
                long total = 0;
                while (true) {
                  int k;
                  try {
                    k = data.read(buffer);
                  } catch (IOException ex) {
                    throw DamagedArchive.readFailure(ref, file, ex);
                  }
                  if (k < 0) {
                    return total;
                  }
                  md.update(buffer, 0, k);
                  out.write(buffer, 0, k);
                  total += k;
                }
              });
    }
    DamagedArchive.checkDigest(ref, file, Digests.hex(md.digest()));
    out.flush();
    return n;
  }

  /** The last entry named {@code name} before {@code before}, only files if asked; -1 if none. */
  private static int lastIndex(List<Entry> entries, String name, int before, boolean filesOnly) {
    for (int i = before - 1; i >= 0; i--) {
      Entry x = entries.get(i);
      if ((!filesOnly || x.type() == EntryType.FILE)
          && ArchiveReader.normalizeName(x.path()).equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Writes the archive as a plain, uncompressed tar stream (for {@code tar xf -}); {@code out} is
   * not closed. The archive checksum is checked at the end: a mismatch fails the call after the
   * bytes went out. When the manifest has the backed-up folder's own metadata, the stream starts
   * with a {@code ./} entry carrying it, as {@code tar cf - -C dir .} made it: the tar that
   * extracts it gives the folder it extracts into that mode, owner and time.
   */
  long copyAsTar(ArchiveRef ref, OutputStream out) throws IOException {
    return copyAsTar(ref, out, true);
  }

  /** As above; without the {@code ./} entry unless {@code folderItself}. */
  long copyAsTar(ArchiveRef ref, OutputStream out, boolean folderItself) throws IOException {
    Manifest m = catalog.manifest(ref);
    byte[] rootHeader = folderItself ? rootHeader(m.root()) : null;
    try (ArchiveReader reader = ArchiveEntries.open(ref)) {
      long n = 0;
      if (rootHeader != null) {
        out.write(rootHeader);
        n = rootHeader.length;
      }
      try {
        n += reader.plainTar().transferTo(out);
      } catch (IOException e) {
        if (ArchiveEntries.isOwnStreamFailure(e)) {
          throw new DamagedArchive(ref, "archive " + ref.name() + " is corrupt: " + e.getMessage());
        }
        throw e;
      }
      ArchiveEntries.checkArchiveDigest(ref, m, ArchiveEntries.drain(reader, ref));
      out.flush();
      return n;
    }
  }

  /** The "./" header for the folder's metadata; null without any, or where ustar cannot hold it. */
  static byte[] rootHeader(Manifest.Root r) {
    if (r == null || !RestoreGuard.hasOctalMode(r) || r.mtime() == null) {
      return null;
    }
    return TarHeaders.of(
        new ArchiveWriter.Item(
            ".",
            Manifest.EntryType.DIR,
            r.modeBits(),
            r.mtime(),
            0,
            null,
            r.uid(),
            r.gid(),
            r.user(),
            r.group()));
  }
}
