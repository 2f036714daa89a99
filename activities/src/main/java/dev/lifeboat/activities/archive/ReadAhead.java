package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * Reads small files ahead of the archive writer, on threads of their own (all of a full backup's,
 * an incremental backup's new and changed ones): opening, reading, closing and stating a file again
 * took about half of the writer's time a small file (100,000 files of a few hundred bytes: ~15 µs a
 * file on the writer's thread, where tar spends ~5), while the compressing threads sat idle. What
 * is read here is what the writer would have read itself: the same bytes (at most the scanned
 * size), the same errors at the same points, the file's stamp right after the read. At most {@link
 * #WINDOW} entries are looked ahead at, holding at most {@link #MAX_HELD} bytes.
 */
final class ReadAhead implements AutoCloseable {
  private static final boolean O_NOFOLLOW_OK = SparseInput.canOpenRegular();

  /** Files up to this size are read ahead: those that go into packs. */
  static final long MAX_BYTES = GzipMembers.PACK_FILE_MAX;

  /**
   * Entries looked ahead of the writer. 64 left the writer waiting: 100,000 small files took ~1.77
   * s against ~1.58 s with 256.
   */
  static final int WINDOW = 256;

  /** Bytes read ahead and not yet taken, at most (plus one file's). */
  static final long MAX_HELD = 4L << 20;

  /**
   * A file as read: {@code openFailure} when it could not be opened (then nothing else is set),
   * else its first {@code length} bytes and, when reading stopped on an error, {@code readFailure};
   * {@code after} is its stamp once read, null when it could not be had (the file vanished).
   */
  record Read(
      byte[] data,
      int length,
      IOException openFailure,
      IOException readFailure,
      SourceScan.Stamp after) {

    /** The bytes as the file gave them, then the error it gave, if any. */
    ReadableByteChannel channel() {
      return new Replay(this);
    }
  }

  private record Pending(int index, long size, CompletableFuture<Read> read) {}

  private final List<SourceScan.Found> items;
  private final java.util.function.Predicate<SourceScan.Found> wanted;
  private final java.util.function.Consumer<String> onRead;
  private final ExecutorService pool;
  private final Pending[] ring = new Pending[WINDOW];
  // the next index fill() looks at
  private int next;
  // bytes of files scheduled and not yet taken
  private long held;

  ReadAhead(List<SourceScan.Found> items, int threads) {
    this(items, threads, found -> true, path -> {});
  }

  /**
   * Reads ahead only the small files {@code wanted} picks (an incremental backup's changed ones),
   * telling {@code onRead} each one's path, on a reading thread, once it is opened (as the writer
   * tells it of the files it reads itself).
   */
  ReadAhead(
      List<SourceScan.Found> items,
      int threads,
      java.util.function.Predicate<SourceScan.Found> wanted,
      java.util.function.Consumer<String> onRead) {
    this.items = items;
    this.wanted = wanted;
    this.onRead = onRead;
    this.pool = DaemonThreads.pool("lifeboat-read", threads);
  }

  /**
   * The read of {@code items[i]}, or null when it is not read ahead (then the caller reads it).
   * Indexes are asked for in increasing order; {@code items[i]} must still be in the list when this
   * is first called for an index within {@link #WINDOW} below it.
   */
  Read take(int i) throws IOException {
    fill(i);
    Pending p = ring[i % WINDOW];
    if (p == null || p.index() != i) {
      return null;
    }
    ring[i % WINDOW] = null;
    held -= p.size();
    fill(i + 1);
    try {
      return p.read().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading ahead");
    } catch (ExecutionException e) {
      // read() catches what files throw: anything else is a bug, not the file's
      throw new IllegalStateException("reading ahead failed", e.getCause());
    }
  }

  private void fill(int from) {
    next = Math.max(next, from);
    int end = (int) Math.min(items.size(), (long) from + WINDOW);
    for (; next < end && held < MAX_HELD; next++) {
      SourceScan.Found found = items.get(next);
      if (found != null && eligible(found) && wanted.test(found)) {
        long size = found.item().size();
        held += size;
        ring[next % WINDOW] =
            new Pending(next, size, CompletableFuture.supplyAsync(() -> read(found, onRead), pool));
      }
    }
  }

  private static boolean eligible(SourceScan.Found found) {
    return found.item().type() == Manifest.EntryType.FILE
        && found.stamp() != null
        && found.item().size() <= MAX_BYTES;
  }

  /** Reads a small file as the writer would: through {@link SparseInput#channel}. */
  static Read read(SourceScan.Found found, java.util.function.Consumer<String> onRead) {
    java.nio.file.Path file = found.file();
    byte[] data = new byte[(int) found.item().size()];
    int length = 0;
    IOException readFailure = null;
    if (O_NOFOLLOW_OK && LibC.canPass(file)) {
      // as SparseInput.channel opens it, read straight from the descriptor: no second open
      int fd;
      try {
        fd = SparseInput.openRegular(file);
      } catch (IOException e) {
        return new Read(null, 0, e, null, null);
      }
      try {
        onRead.accept(found.item().path());
        length = SparseInput.readFully(fd, data);
      } catch (IOException e) {
        readFailure = e;
      } finally {
        LibC.close(fd);
      }
    } else {
      ReadableByteChannel in;
      try {
        in = SparseInput.channel(file, data.length);
      } catch (IOException e) {
        return new Read(null, 0, e, null, null);
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      try (in) {
        onRead.accept(found.item().path());
        while (buffer.hasRemaining() && in.read(buffer) >= 0) {
          // a short read is followed by another, as the writer's own reading does
        }
      } catch (IOException e) {
        readFailure = e;
      }
      length = buffer.position();
    }
    SourceScan.Stamp after;
    try {
      after = SourceScan.Stamp.read(file);
    } catch (IOException e) {
      after = null;
    }
    return new Read(data, length, null, readFailure, after);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  /** A read file's bytes, then its error or its end. */
  private static final class Replay implements ReadableByteChannel {
    private final Read read;
    private int position;
    private boolean open = true;

    Replay(Read read) {
      this.read = read;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      if (position == read.length()) {
        if (read.readFailure() != null) {
          throw read.readFailure();
        }
        return -1;
      }
      int n = Math.min(dst.remaining(), read.length() - position);
      dst.put(read.data(), position, n);
      position += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}
