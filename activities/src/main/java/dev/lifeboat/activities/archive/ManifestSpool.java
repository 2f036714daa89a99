package dev.lifeboat.activities.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A manifest written while its archive is: the entries go into the file on a thread of its own as
 * they become final, so the end of a backup does not wait for megabytes of JSON written on one core
 * (~0.1 s cold for 20,000 entries). The bytes are those {@link Json#COMPACT} writes for the whole
 * manifest: its head (the fields before the entries), the entries, then the totals, digest and root
 * at {@link #commit}. Until then the file is the hidden partial one {@link
 * RepositoryFiles#writeAtomically} uses, removed by a later backup's leftover cleanup after a
 * crash, and by {@link #close} otherwise.
 */
final class ManifestSpool implements Closeable {

  private final Path target;
  private final Path tmp;
  private final FileChannel channel;
  private final OutputStream out;
  // written on the spool's thread, before anything else there
  private byte[] head;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(DaemonThreads.named("lifeboat-manifest"));
  // written on the spool's thread only
  private com.fasterxml.jackson.core.JsonGenerator entries;
  private Future<?> last;
  private long handed;
  private boolean committed;
  // the binary copy of the manifest, written beside it on the spool's thread
  private ManifestCache.Writer cache;
  // the JSON's SHA-256 and length as its bytes reach the file, for the cache
  private final java.security.MessageDigest jsonDigest = Digests.sha256();
  private long jsonLength;

  private ManifestSpool(Path target, Path tmp, FileChannel channel) {
    this.target = target;
    this.tmp = tmp;
    this.channel = channel;
    OutputStream file = Channels.newOutputStream(channel);
    this.out =
        new java.io.BufferedOutputStream(
            new java.io.FilterOutputStream(file) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                jsonDigest.update(b, off, len);
                jsonLength += len;
                file.write(b, off, len);
              }

              @Override
              public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
              }
            },
            64 * 1024);
  }

  /**
   * Starts {@code target}'s file with the head of {@code manifest}: every field before the entries
   * (format, set, source, archive, time, compression), which must be the final manifest's.
   */
  static ManifestSpool open(Path target, Manifest manifest) throws IOException {
    Path tmp = RepositoryFiles.partialOf(target);
    FileChannel ch = RepositoryFiles.openPartial(tmp);
    ManifestSpool spool = new ManifestSpool(target, tmp, ch);
    // on the spool's thread too: a fresh JVM's first JSON takes tens of milliseconds
    spool.run(
        () -> {
          spool.head = head(manifest);
          // one generator for the whole file: it writes to the file when its buffer is full
          spool.entries = JsonOut.compact(spool.out);
          JsonOut.head(spool.entries, manifest);
          spool.entries.writeArrayFieldStart("entries");
          spool.cache = new ManifestCache.Writer(target, manifest);
        });
    return spool;
  }

  /**
   * The next entries, final, in archive order, written on the spool's thread; a failure there is
   * thrown by {@link #commit}.
   */
  void add(List<Manifest.Entry> batch) {
    handed += batch.size();
    run(
        () -> {
          for (Manifest.Entry e : batch) {
            JsonOut.entry(entries, e);
          }
          cache.entries(batch);
        });
  }

  /**
   * Ends the file with {@code manifest}'s fields after the entries, forces it to disk and renames
   * it into place. {@code manifest} must have the head given to {@link #open} and count exactly the
   * entries given to {@link #add} in its totals (its own list of entries is not read).
   */
  void commit(Manifest manifest) throws IOException {
    byte[] given = head(manifest);
    // everything queued so far ran: the head is known, or the failure is thrown
    await();
    if (handed != manifest.totals().entries() || !Arrays.equals(head, given)) {
      throw new IllegalStateException(
          "the manifest spooled for "
              + target
              + " is not the manifest of the archive ("
              + handed
              + " entries spooled, "
              + manifest.totals().entries()
              + " in it)");
    }
    run(
        () -> {
          // the closing bracket of the entries, then the rest
          entries.writeEndArray();
          JsonOut.tail(entries, manifest);
          entries.close();
          out.flush();
          cache.finish(manifest, jsonLength, jsonDigest.digest());
          channel.force(true);
        });
    await();
    channel.close();
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    committed = true;
    RepositoryFiles.fsyncDirectory(target.getParent());
  }

  /** The binary copy of the committed manifest, to be put in place once its archive is. */
  ManifestCache.Writer cache() {
    return cache;
  }

  /** Stops the spool's thread; an uncommitted file is deleted. */
  @Override
  public void close() throws IOException {
    thread.shutdownNow();
    try {
      thread.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      channel.close();
    } finally {
      if (!committed) {
        if (cache != null) {
          cache.abandon();
        }
        Files.deleteIfExists(tmp);
      }
    }
  }

  private interface Work {
    void run() throws IOException;
  }

  /** Queues {@code work} after what is queued; a failure stops what follows and is thrown later. */
  private void run(Work work) {
    Future<?> before = last;
    last =
        thread.submit(
            () -> {
              if (before != null) {
                // the single thread ran it already: a failure there ends the spool
                before.get();
              }
              work.run();
              return null;
            });
  }

  private void await() throws IOException {
    try {
      last.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the manifest " + target);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof ExecutionException nested && nested.getCause() != null) {
        cause = nested.getCause();
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("writing the manifest " + target + " failed: " + cause, cause);
    }
  }

  /** The manifest's fields before its entries, as the file begins. */
  private static byte[] head(Manifest m) throws IOException {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(256);
    try (com.fasterxml.jackson.core.JsonGenerator g = JsonOut.compact(b)) {
      JsonOut.head(g, m);
      g.flush();
      // before the close, which would end the object
      return b.toByteArray();
    }
  }
}
