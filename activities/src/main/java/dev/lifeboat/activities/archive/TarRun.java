package dev.lifeboat.activities.archive;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * string the stream's decoder makes of them). Any other header (PAX, GNU long names, sparse, a
 * global header) hands the rest of the run, from that header on, to a {@link
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
    if (!isOrdinary(header[TarConstants.LF_OFFSET])) {
      rest =
          new TarArchiveInputStream(
              new SequenceInputStream(new ByteArrayInputStream(header.clone()), in),
              BLOCK,
              CHARSET);
      return rest.getNextEntry();
    }
    TarArchiveEntry e;
    try {
      e = new TarArchiveEntry(Map.of(), header, NAMES, false);
    } catch (IllegalArgumentException ex) {
      throw new IOException("Error detected parsing the header", ex);
    }
    current = e;
    remaining = e.getSize();
    return e;
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
