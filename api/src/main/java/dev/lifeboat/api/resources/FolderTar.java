package dev.lifeboat.api.resources;

import dev.lifeboat.activities.archive.Manifest;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** The entries of one folder of an archive's manifest, written out as a new tar.gz. */
final class FolderTar {
  /** Copies one regular file's checked content (the repository's single-file read). */
  interface Contents {
    void copy(String path, OutputStream out) throws IOException;
  }

  private final String top;
  private final String prefix;
  private final List<Entry> entries;
  private final Map<String, Entry> files;
  private final java.util.Set<Entry> written;

  private FolderTar(String top, List<Entry> entries, Map<String, Entry> files) {
    this.top = top;
    int cut = top.lastIndexOf('/');
    this.prefix = cut < 0 ? "" : top.substring(0, cut + 1);
    this.entries = entries;
    this.files = files;
    this.written = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    this.written.addAll(entries);
  }

  static FolderTar of(Manifest m, String dir) {
    String top = dir.replace('\\', '/').replaceAll("^(\\./)+|^/+|/+$", "");
    if (top.equals(".")) {
      top = "";
    }
    String under = top + "/";
    String folder = top;
    // a name the archive holds twice is written once, as its last entry: as tar xzf and a restore
    // leave it (and a file's data is the last one's)
    Map<String, Entry> last =
        m.entries().stream()
            .collect(Collectors.toMap(Entry::path, Function.identity(), (a, b) -> b));
    List<Entry> inside =
        m.entries().stream()
            .filter(
                e ->
                    last.get(e.path()) == e
                        && (folder.isEmpty()
                            || e.path().equals(folder) && e.type() == EntryType.DIR
                            || e.path().startsWith(under)))
            .toList();
    Map<String, Entry> files =
        m.entries().stream()
            .filter(e -> e.type() == EntryType.FILE)
            // the last of a name, as tar xzf and a restore leave it
            .collect(Collectors.toMap(Entry::path, Function.identity(), (a, b) -> b));
    return new FolderTar(top, inside, files);
  }

  /** Whether the download writes this entry (the very object, as the manifest lists it). */
  boolean holds(Entry e) {
    return written.contains(e);
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The folder's path in the archive; empty for the whole archive. */
  String top() {
    return top;
  }

  void write(OutputStream raw, Contents contents) throws IOException {
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new GzipCompressorOutputStream(raw))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Entry e : entries) {
        String name = e.path().substring(prefix.length());
        TarArchiveEntry te;
        long size = 0;
        switch (e.type()) {
          case DIR -> te = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
          case SYMLINK -> {
            te = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            te.setLinkName(e.linkTarget());
          }
          default -> {
            // a hardlink becomes a copy of its target: the target may lie outside this folder
            Entry data = e.type() == EntryType.HARDLINK ? files.get(e.linkTarget()) : e;
            te = new TarArchiveEntry(name);
            size = data == null ? 0 : data.size();
            te.setSize(size);
          }
        }
        te.setMode(
            e.modeBits() | (te.isDirectory() ? 0040000 : te.isSymbolicLink() ? 0120000 : 0100000));
        if (e.mtime() != null) {
          te.setModTime(Date.from(e.mtime()));
        }
        tar.putArchiveEntry(te);
        if (size > 0) {
          contents.copy(
              e.path(),
              new FilterOutputStream(tar) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                  out.write(b, off, len);
                }

                @Override
                public void close() {
                  // the tar entry is closed below, not by the reader
                }
              });
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }
}
