package dev.lifeboat.activities.archive;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncoding;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;
import org.apache.commons.compress.utils.ArchiveUtils;

/**
 * Reads a tar stream as Commons Compress's {@link TarArchiveInputStream} does (UTF-8 names,
 * 512-byte blocks), entry by entry, with the entry's data as this stream's bytes; ordinary headers
 * (file, directory, symlink, hard link) without the stream's per-entry costs.
 *
 * <p>Each entry cost that stream two 8 KiB buffers, allocated to skip the rest of the entry and its
 * padding, and a charset decoder per name: restoring 200,000 small files spent a sixth of its CPU
 * there and in the garbage collector. An ordinary header is parsed here by the same {@link
 * TarArchiveEntry} constructor the stream uses, names of ASCII bytes decoded directly (the same
 * string the stream's decoder makes of them), and so is a PAX header of the kind Lifeboat writes
 * for a name that is not ASCII (see {@link #afterPax}). Any other header (other PAX records, GNU
 * long names, sparse, a global header) hands the rest of the run, from that header on, to a {@link
 * TarArchiveInputStream}. TarRunTest compares the two on valid, truncated and damaged streams.
 */
final class TarRun extends InputStream {
  private static final int BLOCK = TarConstants.DEFAULT_RCDSIZE;
  private static final String CHARSET = StandardCharsets.UTF_8.name();
  private static final ZipEncoding NAMES =
      new AsciiFirst(ZipEncodingHelper.getZipEncoding(CHARSET));

  private final InputStream in;
  private final byte[] header = new byte[BLOCK];
  private byte[] skipBuffer;
  private TarArchiveInputStream rest;
  private TarArchiveEntry current;
  private long remaining;
  private boolean atEnd;

  TarRun(InputStream in) {
    this.in = in;
  }

  /** The next entry, or null at the end of the stream (a zero block, or less than a block left). */
  TarArchiveEntry next() throws IOException {
    if (rest != null) {
      return rest.getNextEntry();
    }
    if (atEnd) {
      return null;
    }
    if (current != null) {
      skipRest();
    }
    current = null;
    int n = in.readNBytes(header, 0, BLOCK);
    if (n < BLOCK) {
      atEnd = true;
      return null;
    }
    if (ArchiveUtils.isArrayZero(header, BLOCK)) {
      atEnd = true;
      // the stream reads the second end block too (what it holds does not matter)
      in.readNBytes(header, 0, BLOCK);
      return null;
    }
    byte type = header[TarConstants.LF_OFFSET];
    if (type == TarConstants.LF_PAX_EXTENDED_HEADER_LC) {
      return afterPax();
    }
    if (!isOrdinary(type)) {
      return delegate(header.clone());
    }
    return ordinary(header, null, null);
  }

  private TarArchiveEntry ordinary(byte[] block, String path, String linkPath) throws IOException {
    TarArchiveEntry e;
    try {
      e = new TarArchiveEntry(Map.of(), block, NAMES, false);
    } catch (IllegalArgumentException ex) {
      throw new IOException("Error detected parsing the header", ex);
    }
    // as the stream applies a PAX header's records to the entry after it
    if (path != null) {
      e.setName(path);
    }
    if (linkPath != null) {
      e.setLinkName(linkPath);
    }
    current = e;
    remaining = e.getSize();
    return e;
  }

  /** Hands the rest of the run, starting with {@code consumed}, to Commons Compress's stream. */
  private TarArchiveEntry delegate(byte[] consumed) throws IOException {
    rest =
        new TarArchiveInputStream(
            new SequenceInputStream(new ByteArrayInputStream(consumed), in), BLOCK, CHARSET);
    return rest.getNextEntry();
  }

  /** The most PAX data read here: a path and a link target of a few KiB, as archives hold. */
  private static final int MAX_PAX = 8 * BLOCK;

  /**
   * A PAX header as Lifeboat's archives have them (a name or link that is not ASCII): records
   * {@code path} and {@code linkpath} only, well formed, then an ordinary header, which the records
   * name. Anything else (other keys, a malformed or empty record, a large header, a truncated one,
   * another special header after it) goes to the stream from the PAX header on, so every stream
   * reads as the stream reads it.
   */
  private TarArchiveEntry afterPax() throws IOException {
    byte[] first = header.clone();
    long size;
    try {
      size = new TarArchiveEntry(Map.of(), first, NAMES, false).getSize();
    } catch (IllegalArgumentException ex) {
      return delegate(first);
    }
    if (size <= 0 || size > MAX_PAX) {
      return delegate(first);
    }
    int blocks = (int) ((size + BLOCK - 1) / BLOCK);
    byte[] consumed = new byte[BLOCK * (blocks + 2)];
    System.arraycopy(first, 0, consumed, 0, BLOCK);
    int got = in.readNBytes(consumed, BLOCK, BLOCK * (blocks + 1));
    if (got < BLOCK * (blocks + 1)) {
      return delegate(Arrays.copyOf(consumed, BLOCK + got));
    }
    String[] records = paxRecords(consumed, BLOCK, (int) size);
    byte[] next = Arrays.copyOfRange(consumed, BLOCK * (blocks + 1), consumed.length);
    if (records == null
        || ArchiveUtils.isArrayZero(next, BLOCK)
        || !isOrdinary(next[TarConstants.LF_OFFSET])) {
      return delegate(consumed);
    }
    return ordinary(next, records[0], records[1]);
  }

  /**
   * The values of {@code path} and {@code linkpath} in {@code b[at, at+size)}, each at most once,
   * if that is all the bytes hold ("LEN key=value\n", LEN in decimal counting the whole record);
   * null for anything else.
   */
  static String[] paxRecords(byte[] b, int at, int size) {
    String[] out = new String[2];
    int end = at + size;
    while (at < end) {
      int len = 0;
      int i = at;
      while (i < end && b[i] >= '0' && b[i] <= '9' && i - at < 6) {
        len = len * 10 + (b[i] - '0');
        i++;
      }
      if (i == at || i >= end || b[i] != ' ' || b[at] == '0' || len > end - at) {
        return null;
      }
      int recordEnd = at + len;
      int key = i + 1;
      int eq = key;
      while (eq < recordEnd && b[eq] != '=') {
        eq++;
      }
      // the value: at least one byte, no NUL, then the newline that ends the record
      if (eq >= recordEnd - 2 || b[recordEnd - 1] != '\n') {
        return null;
      }
      int slot = isKey(b, key, eq, "path") ? 0 : isKey(b, key, eq, "linkpath") ? 1 : -1;
      if (slot < 0 || out[slot] != null) {
        return null;
      }
      for (int v = eq + 1; v < recordEnd - 1; v++) {
        if (b[v] == 0) {
          return null;
        }
      }
      out[slot] = new String(b, eq + 1, recordEnd - 1 - (eq + 1), StandardCharsets.UTF_8);
      at = recordEnd;
    }
    return out[0] == null && out[1] == null ? null : out;
  }

  private static boolean isKey(byte[] b, int from, int to, String key) {
    if (to - from != key.length()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      if (b[from + i] != key.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a header that is not ordinary handed the rest to Commons Compress's stream. */
  boolean delegated() {
    return rest != null;
  }

  private static boolean isOrdinary(byte type) {
    return type == TarConstants.LF_NORMAL
        || type == TarConstants.LF_DIR
        || type == TarConstants.LF_SYMLINK
        || type == TarConstants.LF_LINK;
  }

  /**
   * The current entry's unread data and the padding to its last block, as the stream skips them.
   */
  private void skipRest() throws IOException {
    if (current.isDirectory()) {
      // the stream reads no data of a directory, and skips no padding after it
      return;
    }
    byte[] b = buffer();
    while (remaining > 0) {
      read(b, 0, (int) Math.min(remaining, b.length));
    }
    long size = current.getSize();
    long padding = size > 0 && size % BLOCK != 0 ? BLOCK - size % BLOCK : 0;
    long skipped = 0;
    while (skipped < padding) {
      int k = in.read(b, 0, (int) (padding - skipped));
      if (k < 0) {
        throw new IOException("Truncated TAR archive");
      }
      skipped += k;
    }
  }

  private byte[] buffer() {
    if (skipBuffer == null) {
      skipBuffer = new byte[8192];
    }
    return skipBuffer;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (rest != null) {
      return rest.read(b, off, len);
    }
    if (len == 0) {
      return 0;
    }
    if (current == null) {
      throw new IllegalStateException("No current tar entry");
    }
    if (atEnd || current.isDirectory() || remaining <= 0) {
      return -1;
    }
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new IOException("Truncated TAR archive");
    }
    remaining -= n;
    return n;
  }

  @Override
  public int available() throws IOException {
    if (rest != null) {
      return rest.available();
    }
    return current == null || current.isDirectory()
        ? 0
        : (int) Math.min(remaining, Integer.MAX_VALUE);
  }

  @Override
  public void close() throws IOException {
    if (rest != null) {
      rest.close();
    } else {
      in.close();
    }
  }

  /**
   * Names of ASCII bytes as strings directly; any other through Commons Compress's own encoding, so
   * every name decodes to what the stream would make of it.
   */
  private record AsciiFirst(ZipEncoding other) implements ZipEncoding {
    @Override
    public boolean canEncode(String name) {
      return other.canEncode(name);
    }

    @Override
    public ByteBuffer encode(String name) throws IOException {
      return other.encode(name);
    }

    @Override
    public String decode(byte[] data) throws IOException {
      for (byte b : data) {
        if (b < 0) {
          return other.decode(data);
        }
      }
      return new String(data, StandardCharsets.ISO_8859_1);
    }
  }
}
