package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The newest manifest of a source in a binary form beside it ({@value #NAME}, hidden: listings,
 * offsite copies and retention never see it), read in place of the JSON when it is the JSON's copy.
 * A fresh JVM took ~0.4 s to read the bench tree's 7 MB manifest before an incremental backup could
 * copy anything (its scan is done sooner); the binary form holds the same fields and reads in a
 * fraction of that.
 *
 * <p>Only a cache: it names the archive and carries the SHA-256 and length of the JSON it was made
 * from, and a CRC-32C of itself. Anything else (another archive's, an edited or rotten JSON, a torn
 * or unknown file) is not used, and the JSON is read as before, which stays the record that
 * verifies, restores and offsite copies go by. Nothing fails for want of it.
 */
final class ManifestCache {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestCache.class);

  static final String NAME = ".manifest-cache";
  private static final byte[] MAGIC = "LBMCACHE".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final EntryType[] TYPES = EntryType.values();
  // the JSON's length and SHA-256, then the CRC-32C of all before it
  private static final int TRAILER = 8 + 32 + 4;

  private ManifestCache() {}

  private static final java.util.concurrent.atomic.AtomicLong USED =
      new java.util.concurrent.atomic.AtomicLong();

  /** How many manifests were read from a cache (for tests). */
  static long used() {
    return USED.get();
  }

  /**
   * Writes the cache of a manifest as its JSON is spooled: the head when the spool opens, entries
   * in batches, the rest with the JSON's digest at the end. Streamed to a hidden partial file, so
   * it holds no more memory than a batch, and put in place only once the archive is published
   * ({@link #place}): a backup that fails leaves the previous archive's cache as it was. Any
   * failure only ends the cache.
   */
  static final class Writer {
    private final Path target;
    private final Path tmp;
    private OutputStream file;
    private final CRC32C crc = new CRC32C();
    private final Out out = new Out(64 * 1024);
    private boolean finished;

    /** Starts the cache for the manifest whose head is {@code head}, to lie beside {@code json}. */
    Writer(Path json, Manifest head) {
      this.target = json.resolveSibling(NAME);
      this.tmp = json.resolveSibling(ArchiveNames.partial(NAME.substring(1)));
      try {
        // private as the manifest: it names every file
        file =
            new java.io.BufferedOutputStream(
                java.nio.channels.Channels.newOutputStream(RepositoryFiles.openPartial(tmp)),
                64 * 1024);
        out.bytes(MAGIC);
        out.i32(VERSION);
        boolean ok =
            out.i32(head.formatVersion())
                && out.string(head.set())
                && out.string(head.source())
                && out.string(head.archive())
                && out.instant(head.created())
                && out.string(head.compression());
        drain(ok);
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    /** The next entries, in the manifest's order. */
    void entries(List<Entry> batch) {
      if (file == null) {
        return;
      }
      try {
        boolean ok = true;
        for (Entry e : batch) {
          out.i8(1);
          ok = ok && entry(out, e);
        }
        drain(ok);
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    /**
     * Ends the cache with {@code m}'s fields after the entries and the digest of its JSON ({@code
     * jsonLength} bytes of SHA-256 {@code jsonSha256}).
     */
    void finish(Manifest m, long jsonLength, byte[] jsonSha256) {
      if (file == null) {
        return;
      }
      try {
        out.i8(0);
        boolean ok = tail(out, m);
        out.i64(jsonLength);
        out.bytes(jsonSha256);
        drain(ok);
        byte[] c = new byte[4];
        ByteBuffer.wrap(c).putInt((int) crc.getValue());
        file.write(c);
        file.close();
        file = null;
        finished = true;
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    /** Puts the finished cache in place of the source's previous one: the archive is published. */
    void place() {
      if (!finished) {
        return;
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        fail(e);
      }
    }

    /** Gives up: the archive was not published; the source's previous cache stays. */
    void abandon() {
      finished = false;
      fail(null);
    }

    private void drain(boolean ok) throws IOException {
      if (!ok) {
        throw new IOException("a string its UTF-8 would not give back");
      }
      crc.update(out.buf(), 0, out.size());
      file.write(out.buf(), 0, out.size());
      out.reset();
    }

    private void fail(Exception e) {
      if (e != null) {
        LOG.debug("no manifest cache beside {}: {}", target, e.toString());
      }
      try {
        if (file != null) {
          file.close();
        }
      } catch (IOException ignored) {
        // deleted next
      }
      file = null;
      finished = false;
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover partial file goes with the next backup's clean-up
      }
    }
  }

  /** Writes {@code m}, the manifest in {@code json}, as its source's cache in one go. */
  static void write(Path json, Manifest m) throws IOException {
    Writer w = new Writer(json, m);
    if (m.entries() != null) {
      w.entries(m.entries());
    }
    byte[] bytes = Files.readAllBytes(json);
    java.security.MessageDigest md = Digests.sha256();
    md.update(bytes);
    w.finish(m, bytes.length, md.digest());
    w.place();
  }

  /**
   * The manifest of archive {@code archive} from the cache beside {@code json}, when the cache is
   * that JSON's copy; null otherwise, and the JSON is to be read.
   */
  static Manifest read(Path json, String archive) {
    Path cache = json.resolveSibling(NAME);
    try {
      if (!Files.isRegularFile(cache, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return null;
      }
      // a copy is smaller than its JSON (no field names), and read whole only while that is small
      // beside the heap: a huge or grown file is no copy, and must not take the heap
      long size = Files.size(cache);
      long jsonSize = Files.size(json);
      if (size > jsonSize
          || size > Runtime.getRuntime().maxMemory() / 8
          || !names(cache, archive)) {
        return null;
      }
      byte[] bytes = Files.readAllBytes(cache);
      int end = bytes.length - TRAILER;
      if (end < MAGIC.length + 4) {
        return null;
      }
      ByteBuffer b = ByteBuffer.wrap(bytes);
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, bytes.length - 4);
      if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
        return null;
      }
      long jsonLength = b.getLong(end);
      byte[] jsonSha256 = java.util.Arrays.copyOfRange(bytes, end + 8, end + 8 + 32);
      Head head = head(b);
      if (head == null
          || !archive.equals(head.archive())
          || jsonSize != jsonLength
          || !Digests.hex(jsonSha256).equals(Checker.digestFile(json))) {
        return null;
      }
      b.limit(end);
      Manifest m = manifest(b, head.format(), head.set(), head.source(), archive);
      if (b.hasRemaining()) {
        return null;
      }
      USED.incrementAndGet();
      return m;
    } catch (IOException | RuntimeException e) {
      // unreadable, torn or of another layout: the JSON says the same
      LOG.debug("manifest cache {} not used: {}", cache, e.toString());
      return null;
    }
  }

  /**
   * Whether the cache's head names {@code archive}: read from its first bytes, so that reading an
   * older archive's manifest does not read the newest one's copy first.
   */
  private static boolean names(Path cache, String archive) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8192);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(cache)) {
      while (b.hasRemaining() && ch.read(b) > 0) {
        // a head is a few hundred bytes
      }
    }
    Head head = head(b.flip());
    return head != null && archive.equals(head.archive());
  }

  /** What a cache begins with, after its magic and version. */
  private record Head(int format, String set, String source, String archive) {}

  /** The head at {@code b}'s position, read past; null when it is not a cache of this version. */
  private static Head head(ByteBuffer b) {
    if (b.remaining() < MAGIC.length + 8) {
      return null;
    }
    byte[] magic = new byte[MAGIC.length];
    b.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC) || b.getInt() != VERSION) {
      return null;
    }
    return new Head(b.getInt(), string(b), string(b), string(b));
  }

  private static boolean tail(Out out, Manifest m) {
    Manifest.Totals t = m.totals();
    out.bool(t != null);
    if (t != null) {
      out.i64(t.entries());
      out.i64(t.files());
      out.i64(t.bytes());
      out.i64(t.tarBytes());
      out.i64(t.compressedBytes());
      out.i64(t.endMemberOffset());
    }
    boolean ok = out.string(m.archiveSha256());
    Manifest.Root r = m.root();
    out.bool(r != null);
    if (r != null) {
      ok =
          ok
              && out.string(r.mode())
              && out.instant(r.mtime())
              && out.i64(r.uid())
              && out.i64(r.gid())
              && out.string(r.user())
              && out.string(r.group())
              && out.string(r.path());
    }
    out.bool(m.unreadable() != null);
    if (m.unreadable() != null) {
      out.i64(m.unreadable());
    }
    return ok;
  }

  private static boolean entry(Out out, Entry e) {
    if (e == null) {
      // ManifestCheck names it in the JSON; the cache does not hold such a manifest
      return false;
    }
    out.i8(e.type() == null ? -1 : e.type().ordinal());
    return out.string(e.path())
        && out.string(e.mode())
        && out.instant(e.mtime())
        && out.i64(e.size())
        && out.string(e.sha256())
        && out.string(e.linkTarget())
        && out.i64(e.tarOffset())
        && out.i64(e.memberOffset())
        && out.i64(e.memberLength())
        && out.instant(e.ctime())
        && out.boxed(e.inode())
        && out.boxed(e.memberCrc32c());
  }

  private static Manifest manifest(
      ByteBuffer b, int format, String set, String source, String archive) {
    Instant created = instant(b);
    String compression = string(b);
    List<Entry> entries = new ArrayList<>();
    while (b.get() != 0) {
      entries.add(entry(b));
    }
    Manifest.Totals totals =
        b.get() == 0
            ? null
            : new Manifest.Totals(
                b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
    String archiveSha256 = string(b);
    Manifest.Root root =
        b.get() == 0
            ? null
            : new Manifest.Root(
                string(b), instant(b), b.getLong(), b.getLong(), string(b), string(b), string(b));
    Long unreadable = b.get() == 0 ? null : b.getLong();
    return new Manifest(
        format,
        set,
        source,
        archive,
        created,
        compression,
        entries,
        totals,
        archiveSha256,
        root,
        unreadable);
  }

  private static Entry entry(ByteBuffer b) {
    int type = b.get();
    return new Entry(
        string(b),
        type < 0 ? null : TYPES[type],
        string(b),
        instant(b),
        b.getLong(),
        string(b),
        string(b),
        b.getLong(),
        b.getLong(),
        b.getLong(),
        instant(b),
        boxed(b),
        boxed(b));
  }

  private static String string(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0) {
      return null;
    }
    if (n > b.remaining()) {
      throw new BufferUnderflowException();
    }
    String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }

  private static Instant instant(ByteBuffer b) {
    return b.get() == 0 ? null : Instant.ofEpochSecond(b.getLong(), b.getInt());
  }

  private static Long boxed(ByteBuffer b) {
    return b.get() == 0 ? null : b.getLong();
  }

  /** A growing big-endian buffer; its writers return true to chain with {@code &&}. */
  private static final class Out extends ByteArrayOutputStream {
    Out(int size) {
      super(size);
    }

    byte[] buf() {
      return buf;
    }

    // one thread writes a copy: without the stream's lock on every byte (tens an entry)
    @Override
    public void write(int b) {
      room(1);
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      room(len);
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    private void room(int more) {
      if (buf.length - count < more) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, Math.addExact(count, more)));
      }
    }

    void bytes(byte[] b) {
      write(b, 0, b.length);
    }

    boolean i8(int v) {
      write(v);
      return true;
    }

    boolean bool(boolean v) {
      write(v ? 1 : 0);
      return true;
    }

    boolean i32(int v) {
      room(4);
      buf[count] = (byte) (v >>> 24);
      buf[count + 1] = (byte) (v >>> 16);
      buf[count + 2] = (byte) (v >>> 8);
      buf[count + 3] = (byte) v;
      count += 4;
      return true;
    }

    boolean i64(long v) {
      i32((int) (v >>> 32));
      i32((int) v);
      return true;
    }

    boolean boxed(Long v) {
      bool(v != null);
      if (v != null) {
        i64(v);
      }
      return true;
    }

    boolean instant(Instant t) {
      bool(t != null);
      if (t != null) {
        i64(t.getEpochSecond());
        i32(t.getNano());
      }
      return true;
    }

    /** False when its UTF-8 would not give the string back (a lone surrogate). */
    boolean string(String s) {
      if (s == null) {
        i32(-1);
        return true;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      // UTF-8 has no lone surrogate: it would come back as '?'
      for (int i = 0; i < s.length(); i++) {
        if (Character.isSurrogate(s.charAt(i))) {
          if (!new String(b, StandardCharsets.UTF_8).equals(s)) {
            return false;
          }
          break;
        }
      }
      i32(b.length);
      bytes(b);
      return true;
    }
  }
}
