package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Reads an archive front to back, digesting the whole file on the way. Reading the file, digesting
 * it and inflating run on a thread of their own, a few buffers ahead of the caller, who parses the
 * tar stream and writes files: a restore uses two cores.
 */
final class ArchiveReader implements Closeable {
  private final MessageDigest fileDigest = Digests.sha256();
  private final InputStream raw;
  private final InputStream gzip;
  private final ReadAhead ahead;
  private final TarArchiveInputStream tar;

  ArchiveReader(Path archive) throws IOException {
    // Digest below the buffer: the gzip reader marks and resets to give back what it over-read.
    this.raw =
        new BufferedInputStream(
            new DigestInputStream(Files.newInputStream(archive), fileDigest), 256 * 1024);
    try {
      this.gzip = Compression.ofArchive(archive).decoding(raw);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
    this.ahead =
        new ReadAhead(
            gzip,
            () -> {
              // after the last member: whatever follows it still counts for the file's digest
              byte[] buffer = new byte[64 * 1024];
              while (raw.read(buffer) >= 0) {
                // drained for the file digest
              }
            });
    this.tar =
        new TarArchiveInputStream(
            ahead, TarConstants.DEFAULT_RCDSIZE, StandardCharsets.UTF_8.name());
  }

  /** The next entry, or null at the end of the tar stream. */
  TarArchiveEntry next() throws IOException {
    return tar.getNextEntry();
  }

  /** The current entry's data. */
  InputStream data() {
    return tar;
  }

  /** The decompressed stream, for copying the plain tar out. */
  InputStream plainTar() {
    return ahead;
  }

  /**
   * Reads whatever is left (checking every remaining gzip member) and returns the SHA-256 of the
   * file.
   */
  String drainAndDigest() throws IOException {
    byte[] buffer = new byte[64 * 1024];
    while (ahead.read(buffer) >= 0) {
      // drained for its CRC checks, and the file to its end for the digest
    }
    return Digests.hex(fileDigest.digest());
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }

  /** Something to run once the inflated stream has ended. */
  private interface AtEnd {
    void run() throws IOException;
  }

  /**
   * Reads {@code in} on a thread of its own into a bounded queue of buffers (at most 8 × 256 KiB
   * ahead). A failure of the reading thread is thrown to the caller at the point of the stream
   * where it happened.
   */
  private static final class ReadAhead extends BlockInputStream {
    private static final byte[] END = new byte[0];
    private final java.util.concurrent.ArrayBlockingQueue<byte[]> queue =
        new java.util.concurrent.ArrayBlockingQueue<>(8);
    private final Thread thread;
    private final InputStream in;
    private volatile IOException failure;
    private byte[] current = new byte[0];
    private int pos;
    private boolean ended;

    ReadAhead(InputStream in, AtEnd atEnd) {
      this.in = in;
      thread =
          new Thread(
              () -> {
                try {
                  while (true) {
                    byte[] b = in.readNBytes(256 * 1024);
                    if (b.length == 0) {
                      break;
                    }
                    queue.put(b);
                  }
                  atEnd.run();
                } catch (IOException e) {
                  failure = e;
                } catch (InterruptedException e) {
                  return;
                } catch (RuntimeException e) {
                  failure = new IOException(e.toString(), e);
                }
                try {
                  queue.put(END);
                } catch (InterruptedException e) {
                  // the reader was closed
                }
              },
              "lifeboat-read-ahead");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (pos == current.length) {
        if (ended) {
          return -1;
        }
        try {
          current = queue.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while reading the archive");
        }
        pos = 0;
        if (current == END) {
          ended = true;
          if (failure != null) {
            throw failure;
          }
        }
      }
      int n = Math.min(len, current.length - pos);
      System.arraycopy(current, pos, b, off, n);
      pos += n;
      return n;
    }

    /** Stops the reading thread, then closes what it read. */
    @Override
    public void close() throws IOException {
      thread.interrupt();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      in.close();
    }
  }

  /** Reads at most {@code limit} bytes: a member's reader must not run on into the next member. */
  private static final class BoundedInputStream extends java.io.FilterInputStream {
    private long left;

    BoundedInputStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  /** The manifest's spelling of a tar entry's path: no leading "./" or "/", no trailing "/". */
  static String pathOf(TarArchiveEntry te) {
    return normalizeName(te.getName());
  }

  static String normalizeName(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.endsWith("/") && n.length() > 1) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") || n.equals("/") ? "" : n;
  }

  /** A header's kind in words, for one {@link #typeOf} does not take. */
  static String kindOf(TarArchiveEntry te) {
    if (te.isCharacterDevice()) {
      return "character device";
    }
    if (te.isBlockDevice()) {
      return "block device";
    }
    if (te.isFIFO()) {
      return "fifo";
    }
    return "tar entry of type '" + (char) te.getLinkFlag() + "'";
  }

  /** The entry's type, or null for kinds an archive does not hold (devices, fifos). */
  static EntryType typeOf(TarArchiveEntry te) {
    if (te.isSymbolicLink()) {
      return EntryType.SYMLINK;
    }
    if (te.isLink()) {
      return EntryType.HARDLINK;
    }
    if (te.isDirectory()) {
      return EntryType.DIR;
    }
    // commons-compress calls every other kind a file (devices and fifos included): only the
    // regular-file kinds are, so a header saying device never passes for the manifest's file
    byte flag = te.getLinkFlag();
    if (flag == org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL
        || flag == org.apache.commons.compress.archivers.tar.TarConstants.LF_OLDNORM
        || flag == org.apache.commons.compress.archivers.tar.TarConstants.LF_CONTIG
        || te.isSparse()) {
      return EntryType.FILE;
    }
    return null;
  }
}
