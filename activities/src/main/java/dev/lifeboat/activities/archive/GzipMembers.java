package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.OutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * The stream a tar writer writes into: whatever arrives between {@link #begin()} and {@link #end()} is
 * compressed as one gzip member, appended to {@code file}. Concatenated members are one valid gzip
 * stream, so {@code tar xzf} sees an ordinary .tar.gz.
 */
final class GzipMembers extends OutputStream {
  private final CountingOutputStream file;
  private GzipCompressorOutputStream member;
  private long tarBytes;

  GzipMembers(CountingOutputStream file) {
    this.file = file;
  }

  void begin() throws IOException {
    if (member != null) {
      throw new IllegalStateException("a gzip member is already open");
    }
    member = new GzipCompressorOutputStream(file);
  }

  /** Finishes the member (trailer written, deflater released); the file stays open. */
  void end() throws IOException {
    if (member != null) {
      GzipCompressorOutputStream m = member;
      member = null;
      m.close();
    }
  }

  long tarBytes() {
    return tarBytes;
  }

  long compressedBytes() {
    return file.count();
  }

  @Override
  public void write(int b) throws IOException {
    open().write(b);
    tarBytes++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    open().write(b, off, len);
    tarBytes += len;
  }

  @Override
  public void flush() {
    // Members are flushed when they end; flushing a deflater mid-member only costs compression.
  }

  @Override
  public void close() throws IOException {
    end();
  }

  private OutputStream open() {
    if (member == null) {
      throw new IllegalStateException("tar data written outside a gzip member");
    }
    return member;
  }
}
