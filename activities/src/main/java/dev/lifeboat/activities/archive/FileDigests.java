package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The SHA-256 of files being archived, computed on a thread of its own: the thread that reads the
 * source and cuts it into tar is the backup's critical path, and digesting a large file's bytes was
 * the biggest part of its work. Bytes are read into one of {@link #BUFFERS} buffers and handed
 * over; the digest thread takes them in order and frees the buffer, so the reader waits only when
 * all are in use (at most {@code BUFFERS × BUFFER} bytes in flight).
 */
final class FileDigests implements AutoCloseable {
  static final int BUFFER = 256 * 1024;
  private static final int BUFFERS = 4;

  /**
   * Files up to this size are digested by the reader itself: handing over costs more than the
   * digest of a notebook.
   */
  static final long INLINE_MAX = 64 * 1024;

  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(DaemonThreads.named("lifeboat-sha"));
  private final BufferPool<byte[]> buffers = BufferPool.arrays(BUFFER, BUFFERS);

  /** A free buffer of {@link #BUFFER} bytes, waiting for one if all are in flight. */
  byte[] buffer() throws IOException {
    return buffers.take("digesting a file");
  }

  /** Gives back a buffer that was not handed to {@link #update}. */
  void release(byte[] b) {
    buffers.release(b);
  }

  /** Digests {@code n} bytes of {@code b} into {@code md}, after what was handed over before. */
  void update(MessageDigest md, byte[] b, int n) {
    thread.execute(
        () -> {
          try {
            md.update(b, 0, n);
          } finally {
            buffers.release(b);
          }
        });
  }

  // bytes of chunks handed over and not yet digested: the reader waits beyond this much
  private final java.util.concurrent.Semaphore chunkBytes =
      new java.util.concurrent.Semaphore(BUFFERS * BUFFER);

  /**
   * Digests {@code bytes} (read into {@code chunk}, which the caller held once more for this) into
   * {@code md}, after what was handed over before, then releases the chunk. Waits while {@code
   * BUFFERS × BUFFER} bytes are still to digest.
   */
  void update(MessageDigest md, Chunk chunk, java.nio.ByteBuffer bytes) throws IOException {
    int n = Math.min(bytes.remaining(), BUFFERS * BUFFER);
    try {
      chunkBytes.acquire(n);
    } catch (InterruptedException e) {
      chunk.release();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while digesting a file");
    }
    try {
      thread.execute(
          () -> {
            try {
              md.update(bytes);
            } finally {
              chunk.release();
              chunkBytes.release(n);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      chunk.release();
      chunkBytes.release(n);
      throw new IOException("the file digest's thread is stopped", e);
    }
  }

  /** The digest of everything handed over for {@code md}, in hex, once it is done. */
  CompletableFuture<String> finish(MessageDigest md) {
    return CompletableFuture.supplyAsync(() -> Digests.hex(md.digest()), thread);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
