package dev.lifeboat.api.resources;

import jakarta.ws.rs.core.StreamingOutput;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One file of an archive on its way to a client: decoded into a temporary file and checked against
 * its SHA-256 before the answer starts (a damaged file is an error status, never a 200 cut short),
 * then streamed from disk a block at a time, so a file of any size costs the server the same
 * memory.
 *
 * <p>The temporary file loses its name as soon as it is open: nothing is left behind whether the
 * download completes, the client goes away or the server dies; its space is freed when the last
 * handle closes. Runs of zeros are not written, so a sparse file's copy takes the disk space of its
 * data only.
 */
final class FileDownload implements StreamingOutput, Closeable {
  /** Writes the checked content of the file to {@code out}; a failed check throws. */
  interface Contents {
    long copy(OutputStream out) throws IOException;
  }

  private static final int BLOCK = 4096;
  private static final byte[] ZEROS = new byte[BLOCK];

  private final FileChannel spool;
  private final long size;

  private FileDownload(FileChannel spool, long size) {
    this.spool = spool;
    this.size = size;
  }

  /** The file's content, copied and checked; whatever {@code contents} throws passes through. */
  static FileDownload of(Contents contents) throws IOException {
    Path tmp = Files.createTempFile("lifeboat-file", ".part");
    FileChannel spool;
    try {
      // on POSIX systems the name goes as the file opens, on others when it closes
      spool =
          FileChannel.open(
              tmp,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE,
              StandardOpenOption.DELETE_ON_CLOSE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try {
      HoleWriter out = new HoleWriter(spool);
      long n = contents.copy(out);
      if (n != out.at) {
        throw new IOException("the file's copy has " + out.at + " bytes, not " + n);
      }
      if (spool.size() < n) {
        // the file ends in zeros that were skipped: the last one makes it its full size
        spool.write(ByteBuffer.wrap(new byte[1]), n - 1);
      }
      return new FileDownload(spool, n);
    } catch (IOException | RuntimeException | Error e) {
      spool.close();
      throw e;
    }
  }

  long size() {
    return size;
  }

  @Override
  public void write(OutputStream out) throws IOException {
    try (FileChannel in = spool) {
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      for (long at = 0; at < size; ) {
        buffer.clear();
        if (size - at < buffer.capacity()) {
          buffer.limit((int) (size - at));
        }
        int k = in.read(buffer, at);
        if (k < 0) {
          throw new EOFException("the download's copy ended at " + at + " of " + size + " bytes");
        }
        out.write(buffer.array(), 0, k);
        at += k;
      }
      out.flush();
    }
  }

  /** Frees the copy; also when the answer was never written (the request failed before it). */
  @Override
  public void close() throws IOException {
    spool.close();
  }

  /** Writes at increasing offsets, skipping whole blocks of zeros (they read back as holes). */
  private static final class HoleWriter extends OutputStream {
    private final FileChannel channel;
    private long at;

    HoleWriter(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int end = off + len;
      int dataFrom = -1;
      // blocks aligned to the file's offsets, so the holes are whole filesystem blocks
      for (int i = off; i < end; ) {
        int n = (int) Math.min(end - i, BLOCK - (at + i - off) % BLOCK);
        boolean zero = Arrays.mismatch(b, i, i + n, ZEROS, 0, n) < 0;
        if (zero && dataFrom >= 0) {
          put(b, off, dataFrom, i);
          dataFrom = -1;
        } else if (!zero && dataFrom < 0) {
          dataFrom = i;
        }
        i += n;
      }
      if (dataFrom >= 0) {
        put(b, off, dataFrom, end);
      }
      at += len;
    }

    /** Writes {@code b[from, to)} where it belongs: {@code b[off]} is at file offset {@code at}. */
    private void put(byte[] b, int off, int from, int to) throws IOException {
      ByteBuffer data = ByteBuffer.wrap(b, from, to - from);
      long position = at + from - off;
      while (data.hasRemaining()) {
        position += channel.write(data, position);
      }
    }
  }
}
