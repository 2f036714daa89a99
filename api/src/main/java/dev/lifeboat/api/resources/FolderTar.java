package dev.lifeboat.api.resources;

import dev.lifeboat.activities.archive.Manifest;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import dev.lifeboat.activities.archive.Owner;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

  private static final Owner NOBODY_KNOWN = new Owner(0, 0, null, null);

  private final String top;
  private final String prefix;
  private final List<Entry> entries;
  // what the download reads: its entries, and the files its hardlinks copy from outside it
  private final Set<Entry> read;
  // per hardlink: the file whose data it shares (the last of its target's name before it)
  private final Map<Entry, Entry> linked;
  // the hardlinks written as links: their file is written too, before them
  private final Set<Entry> linkedInside;

  private FolderTar(
      String top,
      List<Entry> entries,
      Set<Entry> read,
      Map<Entry, Entry> linked,
      Set<Entry> linkedInside) {
    this.top = top;
    int cut = top.lastIndexOf('/');
    this.prefix = cut < 0 ? "" : top.substring(0, cut + 1);
    this.entries = entries;
    this.read = read;
    this.linked = linked;
    this.linkedInside = linkedInside;
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
    Set<Entry> written = identitySet();
    written.addAll(inside);
    // a hardlink's data is the last file of its target's name before it (as a single download
    // reads it); a restore links it to the file that name ends up as. Both are the same file when
    // that file is the last of its name, and then a link entry after it gives what a restore gives.
    Map<String, Entry> filesSoFar = new HashMap<>();
    Map<Entry, Entry> linked = new IdentityHashMap<>();
    Set<Entry> linkedInside = identitySet();
    Set<Entry> read = identitySet();
    read.addAll(written);
    for (Entry e : m.entries()) {
      if (e.type() == EntryType.FILE) {
        filesSoFar.put(Manifest.entryName(e.path()), e);
      } else if (e.type() == EntryType.HARDLINK && written.contains(e)) {
        Entry data = filesSoFar.get(Manifest.entryName(e.linkTarget()));
        if (data == null) {
          continue;
        }
        linked.put(e, data);
        // written, it is written before the link: the download keeps the archive's order
        if (written.contains(data)) {
          linkedInside.add(e);
        } else {
          read.add(data);
        }
      }
    }
    return new FolderTar(top, inside, read, linked, linkedInside);
  }

  private static Set<Entry> identitySet() {
    return Collections.newSetFromMap(new IdentityHashMap<>());
  }

  /**
   * Whether the download reads this entry (the very object, as the manifest lists it): writes it,
   * or copies a hardlink's data from it.
   */
  boolean reads(Entry e) {
    return read.contains(e);
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The folder's path in the archive; empty for the whole archive. */
  String top() {
    return top;
  }

  /**
   * Writes the tar.gz to {@code raw}: each entry with its archived owner ({@code owners}, from the
   * archive's headers; the manifest has none), hardlinks as links where their file is written
   * before them.
   */
  void write(OutputStream raw, Map<Entry, Owner> owners, Contents contents) throws IOException {
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
          case HARDLINK -> {
            Entry data = linked.get(e);
            if (linkedInside.contains(e)) {
              te = new TarArchiveEntry(name, TarConstants.LF_LINK);
              te.setLinkName(data.path().substring(prefix.length()));
            } else {
              // its file lies outside this folder (or is not the one written under its name): a
              // copy of the data
              te = new TarArchiveEntry(name);
              size = data == null ? 0 : data.size();
              te.setSize(size);
            }
          }
          default -> {
            te = new TarArchiveEntry(name);
            size = e.size();
            te.setSize(size);
          }
        }
        // not this server's user, which Commons Compress puts in by default
        Owner owner = owners.getOrDefault(e, NOBODY_KNOWN);
        te.setUserId(owner.uid());
        te.setGroupId(owner.gid());
        te.setUserName(owner.user() == null ? "" : owner.user());
        te.setGroupName(owner.group() == null ? "" : owner.group());
        te.setMode(
            e.modeBits() | (te.isDirectory() ? 0040000 : te.isSymbolicLink() ? 0120000 : 0100000));
        if (e.mtime() != null) {
          // whole seconds, as the archive's own headers: a fraction would add a PAX record to every
          // entry
          te.setModTime(Date.from(e.mtime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
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
