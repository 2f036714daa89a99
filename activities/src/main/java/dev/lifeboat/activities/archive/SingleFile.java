package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

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
    String wanted = ArchiveReader.normalizeName(path);
    Entry e =
        m.entries().stream()
            .filter(x -> ArchiveReader.normalizeName(x.path()).equals(wanted))
            .findFirst()
            .orElseThrow(
                () ->
                    ActionException.invalid(
                        "archive " + ref.name() + " has no entry '" + path + "'"));
    if (e.type() == EntryType.HARDLINK) {
      String target = ArchiveReader.normalizeName(e.linkTarget());
      e =
          m.entries().stream()
              .filter(
                  x ->
                      x.type() == EntryType.FILE
                          && ArchiveReader.normalizeName(x.path()).equals(target))
              .findFirst()
              .orElseThrow(
                  () ->
                      new DamagedArchive(
                          ref,
                          "archive "
                              + ref.name()
                              + ": hardlink '"
                              + path
                              + "' points to '"
                              + target
                              + "', which the manifest does not list as a file"));
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
    long n = 0;
    java.security.MessageDigest md = Digests.sha256();
    try (TarArchiveInputStream tar = ArchiveReader.member(ref.path(), e)) {
      TarArchiveEntry te = tar.getNextEntry();
      if (te == null) {
        throw new DamagedArchive(
            ref,
            "archive "
                + ref.name()
                + ": no entry at the offset the manifest gives for '"
                + e.path()
                + "'");
      }
      ArchiveEntries.expect(ref, List.of(e), 0, te);
      byte[] buffer = new byte[64 * 1024];
      int k;
      while ((k = tar.read(buffer)) >= 0) {
        md.update(buffer, 0, k);
        out.write(buffer, 0, k);
        n += k;
      }
    } catch (IOException ex) {
      throw DamagedArchive.readFailure(ref, e, ex);
    }
    String sha = Digests.hex(md.digest());
    DamagedArchive.checkDigest(ref, e, sha);
    out.flush();
    return n;
  }

  /**
   * Writes the archive as a plain, uncompressed tar stream (for {@code tar xf -}); {@code out} is
   * not closed. The archive checksum is checked at the end: a mismatch fails the call after the
   * bytes went out.
   */
  long copyAsTar(ArchiveRef ref, OutputStream out) throws IOException {
    Manifest m = catalog.manifest(ref);
    try (ArchiveReader reader = ArchiveEntries.open(ref)) {
      long n;
      try {
        n = reader.plainTar().transferTo(out);
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
}
