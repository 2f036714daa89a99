package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a Lifeboat archive into a file: a POSIX (PAX) tar stream in which every entry is its own gzip
 * member, recording for the manifest each entry's digest and offsets.
 */
final class ArchiveWriter implements Closeable {
  /** What to write for one entry; {@code size} counts for files only. */
  record Item(String path, EntryType type, int mode, Instant mtime, long size, String linkTarget,
      long uid, long gid, String user, String group) { }

  private final FileChannel channel;
  private final OutputStream buffered;
  private final MessageDigest archiveDigest = Digests.sha256();
  private final GzipMembers members;
  private final TarArchiveOutputStream tar;
  private final Progress progress;
  private final List<Entry> entries = new ArrayList<>();
  private final byte[] buffer = new byte[64 * 1024];
  private long files;
  private long bytes;
  private long endMemberOffset = -1;
  private boolean finished;

  ArchiveWriter(Path file, Progress progress) throws IOException {
    this.progress = progress;
    this.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    this.buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 256 * 1024);
    this.members = new GzipMembers(new CountingOutputStream(new DigestOutputStream(buffered, archiveDigest)));
    this.tar = new TarArchiveOutputStream(members, TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
  }

  /** Appends one entry as its own gzip member; {@code data} supplies exactly {@code item.size()} bytes for files. */
  Entry add(Item item, InputStream data) throws IOException {
    progress.checkCancelled();
    long memberOffset = members.compressedBytes();
    long tarOffset = members.tarBytes();
    members.begin();
    TarArchiveEntry te = tarEntry(item);
    tar.putArchiveEntry(te);
    String sha = null;
    if (item.type() == EntryType.FILE) {
      sha = copy(item, data);
      files++;
      bytes += item.size();
    }
    tar.closeArchiveEntry();
    members.end();
    Entry entry = new Entry(item.path(), item.type(), String.format("%04o", item.mode() & 07777),
        item.mtime().truncatedTo(ChronoUnit.SECONDS), item.type() == EntryType.FILE ? item.size() : 0, sha,
        item.linkTarget(), tarOffset, memberOffset, members.compressedBytes() - memberOffset);
    entries.add(entry);
    if (item.type() == EntryType.FILE) {
      progress.file();
    }
    return entry;
  }

  /** Writes the end-of-archive blocks as a last member and forces everything to disk. */
  void finish() throws IOException {
    endMemberOffset = members.compressedBytes();
    members.begin();
    tar.finish();
    members.end();
    tar.close();
    buffered.flush();
    channel.force(true);
    finished = true;
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  long files() {
    return files;
  }

  long bytes() {
    return bytes;
  }

  Manifest.Totals totals() {
    requireFinished();
    return new Manifest.Totals(entries.size(), files, bytes, members.tarBytes(), members.compressedBytes(),
        endMemberOffset);
  }

  String archiveSha256() {
    requireFinished();
    return Digests.hex(archiveDigest.digest());
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  private void requireFinished() {
    if (!finished) {
      throw new IllegalStateException("archive not finished");
    }
  }

  private String copy(Item item, InputStream data) throws IOException {
    MessageDigest md = Digests.sha256();
    long left = item.size();
    while (left > 0) {
      int n = data.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("'" + item.path() + "' shrank while it was archived (expected "
            + item.size() + " bytes, got " + (item.size() - left) + ")");
      }
      md.update(buffer, 0, n);
      tar.write(buffer, 0, n);
      left -= n;
      progress.bytes(n);
    }
    return Digests.hex(md.digest());
  }

  private static TarArchiveEntry tarEntry(Item item) {
    byte flag = switch (item.type()) {
      case FILE -> TarConstants.LF_NORMAL;
      case DIR -> TarConstants.LF_DIR;
      case SYMLINK -> TarConstants.LF_SYMLINK;
      case HARDLINK -> TarConstants.LF_LINK;
    };
    String name = item.type() == EntryType.DIR ? item.path() + "/" : item.path();
    TarArchiveEntry te = new TarArchiveEntry(name, flag, true);
    te.setMode(item.mode() & 07777);
    te.setModTime(FileTime.from(item.mtime().truncatedTo(ChronoUnit.SECONDS)));
    te.setSize(item.type() == EntryType.FILE ? item.size() : 0);
    if (item.linkTarget() != null) {
      te.setLinkName(item.linkTarget());
    }
    te.setUserId(item.uid());
    te.setGroupId(item.gid());
    if (item.user() != null) {
      te.setUserName(item.user());
    }
    if (item.group() != null) {
      te.setGroupName(item.group());
    }
    return te;
  }
}
