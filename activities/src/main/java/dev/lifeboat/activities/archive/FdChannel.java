package dev.lifeboat.activities.archive;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A file descriptor from libc as a write-only channel: positional writes through a native buffer
 * the caller owns (one a thread). Closing closes the descriptor; a failed close is an error, as it
 * is for Java's own channels.
 */
final class FdChannel implements SeekableByteChannel {
  private final int fd;
  private final Memory buffer;
  private long position;
  private boolean open = true;

  FdChannel(int fd, Memory buffer) {
    this.fd = fd;
    this.buffer = buffer;
  }

  int fd() {
    return fd;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (!open) {
      throw new ClosedChannelException();
    }
    int total = 0;
    while (src.hasRemaining()) {
      int n = (int) Math.min(src.remaining(), buffer.size());
      buffer.getByteBuffer(0, n).put(src.duplicate().limit(src.position() + n));
      long done;
      try {
        done = LibC.pwrite(fd, buffer, n, position);
      } catch (LastErrorException e) {
        // the message carries strerror's words ("No space left on device"), as Java's own do
        throw new IOException(e.getMessage(), e);
      }
      if (done <= 0) {
        throw new IOException("a write of " + n + " bytes wrote none");
      }
      src.position(src.position() + (int) done);
      position += done;
      total += (int) done;
    }
    return total;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public int read(ByteBuffer dst) {
    throw new NonReadableChannelException();
  }

  @Override
  public long size() {
    throw new UnsupportedOperationException("size of a write-only descriptor");
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new UnsupportedOperationException("truncate of a write-only descriptor");
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (!open) {
      return;
    }
    open = false;
    if (LibC.close(fd) != 0) {
      throw new IOException("closing a restored file failed");
    }
  }
}
