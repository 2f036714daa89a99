package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compression on a pool of threads, with entries cut into chunk-sized members, must give the same
 * tar stream, digests and layout as compressing on one thread; every member is a plain gzip member
 * of at most one chunk; noise is stored, text deflated; libdeflate and the JDK's zlib give the same
 * tar stream.
 */
class ParallelCompressionTest {
  static final int CHUNK = 64 * 1024;
  static final GzipMembers.Settings SEQUENTIAL = new GzipMembers.Settings(1, 64 << 20, null);
  static final GzipMembers.Settings PARALLEL = new GzipMembers.Settings(4, CHUNK, null);
  static final GzipMembers.Settings ZLIB =
      new GzipMembers.Settings(1, 64 << 20, null, 6, Deflate.Engine.ZLIB);
  static final GzipMembers.Settings LIBDEFLATE =
      new GzipMembers.Settings(2, CHUNK, null, 6, Deflate.Engine.LIBDEFLATE);

  @TempDir Path tmp;
  Path source;

  @BeforeEach
  void tree() throws IOException {
    source = Fixtures.awkwardTree(tmp.resolve("src"));
    Random random = new Random(7);
    // many small files, in several directories, so members of very different sizes are in flight
    // together
    for (int i = 0; i < 600; i++) {
      Fixtures.write(
          source.resolve("many/d" + (i % 7) + "/f" + i + "-größe.json"),
          "{\"i\": " + i + ", \"v\": \"" + "x".repeat(random.nextInt(3000)) + "\"}\n",
          "rw-r--r--");
    }
    // compressible and larger than many chunks, not a multiple of the chunk size
    StringBuilder text = new StringBuilder();
    while (text.length() < 2 * 1024 * 1024 + 333) {
      text.append("epoch ")
          .append(random.nextInt(100))
          .append(" loss ")
          .append(random.nextDouble())
          .append('\n');
    }
    Files.writeString(source.resolve("data/log.txt"), text);
    // exactly two chunks of tar data once the 512-byte header is in: the chunk boundary falls
    // inside the file
    byte[] exact = new byte[2 * CHUNK - 512];
    random.nextBytes(exact);
    Files.write(source.resolve("data/exact.bin"), exact);
    Files.write(source.resolve("data/model.ckpt"), checkpoint(random));
  }

  /**
   * float32 weights (igzip's part where ISA-L is there), quantised weights and zeros
   * (libdeflate's), so members of each engine follow each other inside chunks.
   */
  static byte[] checkpoint(Random random) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(5 * CHUNK + 777).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int part = 0; b.hasRemaining(); part++) {
      for (int i = 0; i < CHUNK / 4 && b.remaining() >= 4; i++) {
        switch (part % 3) {
          case 0 -> b.putFloat((float) (random.nextGaussian() * 0.02));
          case 1 -> b.putInt(random.nextInt(16) | random.nextInt(4) << 8 | 0x3f << 16);
          default -> b.putInt(0);
        }
      }
      if (b.remaining() < 4) {
        b.put(new byte[b.remaining()]);
      }
    }
    return b.array();
  }

  @Test
  void parallelAndChunkedGivesTheSameTarStreamDigestsAndOrderAsSequential() throws Exception {
    BackupResult seq = backup("seq", SEQUENTIAL);
    BackupResult par = backup("par", PARALLEL);
    Manifest ms = manifest(seq);
    Manifest mp = manifest(par);

    assertThat(gunzip(Files.readAllBytes(par.ref().path())))
        .isEqualTo(gunzip(Files.readAllBytes(seq.ref().path())));
    assertThat(mp.entries()).hasSameSizeAs(ms.entries()).hasSizeGreaterThan(600);
    for (int i = 0; i < ms.entries().size(); i++) {
      Entry s = ms.entries().get(i);
      Entry p = mp.entries().get(i);
      assertThat(List.of(p.path(), p.type(), p.size(), String.valueOf(p.sha256()), p.tarOffset()))
          .as("entry %d", i)
          .isEqualTo(
              List.of(s.path(), s.type(), s.size(), String.valueOf(s.sha256()), s.tarOffset()));
    }
    assertThat(mp.totals().tarBytes()).isEqualTo(ms.totals().tarBytes());
    assertThat(mp.totals().files()).isEqualTo(ms.totals().files());
    // the source's order, which the scan fixed
    assertThat(mp.entries().stream().map(Entry::path).toList())
        .isEqualTo(
            SourceScan.scan(source, List.of(), List.of()).items().stream()
                .map(f -> f.item().path())
                .toList());
    // digests are of the files themselves
    Entry log =
        mp.entries().stream()
            .filter(e -> e.path().equals("data/log.txt"))
            .findFirst()
            .orElseThrow();
    assertThat(log.sha256())
        .isEqualTo(Fixtures.sha256(Files.readAllBytes(source.resolve("data/log.txt"))));
    // cutting into (small, 64 KiB) chunks costs little in size
    Entry logSeq =
        ms.entries().stream()
            .filter(e -> e.path().equals("data/log.txt"))
            .findFirst()
            .orElseThrow();
    assertThat((double) log.memberLength()).isLessThan(logSeq.memberLength() * 1.05);
  }

  @Test
  void membersAreContiguousGzipMembersOfAtMostAChunkAtTheirOffsets() throws Exception {
    BackupResult par = backup("par", PARALLEL);
    Manifest m = manifest(par);
    byte[] archive = Files.readAllBytes(par.ref().path());
    long next = 0;
    long tarOffset = 0;
    List<Entry> entries = m.entries();
    for (int start = 0, end; start < entries.size(); start = end) {
      end = Checker.runEnd(entries, start);
      Entry e = entries.get(start);
      assertThat(e.memberOffset()).as(e.path()).isEqualTo(next);
      byte[] member =
          Arrays.copyOfRange(
              archive, (int) e.memberOffset(), (int) (e.memberOffset() + e.memberLength()));
      byte[] tar = members(member, CHUNK);
      assertThat(e.tarOffset()).isEqualTo(tarOffset);
      if (end - start > 1) {
        // a pack: small files only, closed once it holds about PACK_BYTES of tar
        assertThat(entries.subList(start, end))
            .allMatch(x -> x.type() == EntryType.FILE && x.size() <= GzipMembers.PACK_FILE_MAX);
        assertThat(tar.length).isLessThan(GzipMembers.PACK_BYTES + 34 * 1024);
      }
      tarOffset += tar.length;
      next += e.memberLength();
    }
    assertThat(m.totals().endMemberOffset()).isEqualTo(next);
    assertThat(members(Arrays.copyOfRange(archive, (int) next, archive.length), CHUNK))
        .hasSize(1024);
    assertThat(m.totals().compressedBytes()).isEqualTo(archive.length);
    assertThat(m.archiveSha256()).isEqualTo(Fixtures.sha256(archive));
  }

  @Test
  void zlibWritesForASmallEntryExactlyWhatPlainGzipWould() throws Exception {
    BackupResult z = backup("zlib", ZLIB);
    byte[] archive = Files.readAllBytes(z.ref().path());
    int checked = 0;
    List<Entry> entries = manifest(z).entries();
    for (int start = 0; start < entries.size(); start = Checker.runEnd(entries, start)) {
      Entry e = entries.get(start);
      byte[] member =
          Arrays.copyOfRange(
              archive, (int) e.memberOffset(), (int) (e.memberOffset() + e.memberLength()));
      byte[] tar = members(member, Integer.MAX_VALUE);
      if (tar.length <= GzipMembers.SEGMENT) {
        assertThat(member).as(e.path()).isEqualTo(commonsGzip(tar));
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void libdeflateAndZlibGiveTheSameTarStreamAndNoiseIsStored() throws Exception {
    BackupResult z = backup("zlib", ZLIB);
    BackupResult l = backup("libdeflate", LIBDEFLATE);
    byte[] archive = Files.readAllBytes(l.ref().path());
    assertThat(gunzip(archive)).isEqualTo(gunzip(Files.readAllBytes(z.ref().path())));
    Fixtures.Run gz = Fixtures.run(tmp, "gzip", "-t", l.ref().path().toString());
    assertThat(gz.exit()).as(gz.err()).isZero();
    Map<String, Entry> byPath =
        manifest(l).entries().stream().collect(Collectors.toMap(Entry::path, e -> e));
    // random bytes: stored blocks (BTYPE 00) after the header, a few bytes of framing per 64 KiB
    Entry noise = byPath.get("data/exact.bin");
    byte[] member =
        Arrays.copyOfRange(
            archive,
            (int) noise.memberOffset(),
            (int) (noise.memberOffset() + noise.memberLength()));
    assertThat(members(member, CHUNK)).hasSize((int) noise.size() + 512);
    assertThat(noise.memberLength()).isLessThan(noise.size() + 512 + 200);
    // text: deflated to well below its size
    Entry log = byPath.get("data/log.txt");
    assertThat(log.memberLength()).isLessThan(log.size() / 2);
    // weights: float32 by their byte counts, quantised by their repeats, zeros to nothing
    Entry weights = byPath.get("data/model.ckpt");
    assertThat(weights.memberLength()).isLessThan(weights.size() * 6 / 10);
  }

  @Test
  void gnuToolsReadTheParallelArchive() throws Exception {
    readsBackAsTheSource("par", backup("par", PARALLEL));
  }

  /**
   * The archive {@code b} in repository {@code name} passes gzip -t, GNU tar extracts the source
   * from it, and Lifeboat verifies it and restores the source.
   */
  private void readsBackAsTheSource(String name, BackupResult b) throws Exception {
    Fixtures.Run gz = Fixtures.run(tmp, "gzip", "-t", b.ref().path().toString());
    assertThat(gz.exit()).as(gz.err()).isZero();
    Path out = Files.createDirectories(tmp.resolve("gnu-" + name));
    Fixtures.Run x = Fixtures.run(out, "tar", "xzf", b.ref().path().toString());
    assertThat(x.exit()).as(x.err()).isZero();
    assertThat(Fixtures.describe(out)).isEqualTo(Fixtures.describe(source));
    Repository repo = new Repository(tmp.resolve(name));
    repo.verify(b.ref(), ProgressListener.NONE);
    Path restored = tmp.resolve("restored-" + name);
    repo.restoreToDirectory(b.ref(), restored, false, ProgressListener.NONE);
    assertThat(Fixtures.describe(restored)).isEqualTo(Fixtures.describe(source));
  }

  @Test
  void withDefaultChunksTablesAndWeightsGoThroughEveryEngineAndGnuToolsReadThem() throws Exception {
    // megabyte chunks, as a backup has them: tabular text and float weights over many segments,
    // beside the notebooks and noise of the tree
    Files.writeString(
        source.resolve("data/measurements.csv"), Fixtures.csv(3 * 1024 * 1024 + 17, 13));
    byte[] weights = Fixtures.floats(3 * 1024 * 1024 + 5, 13);
    Files.write(source.resolve("data/layer.bin"), weights);
    // weights in one chunk with their tar header, their second half padded: 8 KiB of weights, 8 KiB
    // of zeros
    byte[] padded = Arrays.copyOf(weights, 768 * 1024 - 512);
    for (int at = 384 * 1024 + 8192; at < padded.length; at += 16384) {
      Arrays.fill(padded, at, Math.min(padded.length, at + 8192), (byte) 0);
    }
    Files.write(source.resolve("data/padded.bin"), padded);
    BackupResult b =
        backup("defaults", new GzipMembers.Settings(2, GzipMembers.Settings.DEFAULT_CHUNK, null));
    readsBackAsTheSource("defaults", b);
    Map<String, Entry> byPath =
        manifest(b).entries().stream().collect(Collectors.toMap(Entry::path, e -> e));
    Entry paddedEntry = byPath.get("data/padded.bin");
    if (Igzip.AVAILABLE) {
      // igzip codes a call's bytes with one Huffman table: the padded half is a member of its own
      byte[] archive = Files.readAllBytes(b.ref().path());
      int at = (int) paddedEntry.memberOffset();
      int count = 0;
      while (at < paddedEntry.memberOffset() + paddedEntry.memberLength()) {
        at += member(archive, at, new ByteArrayOutputStream(), 2 << 20);
        count++;
      }
      assertThat(count).isGreaterThanOrEqualTo(2);
    }
    assertThat(paddedEntry.memberLength()).isLessThan(paddedEntry.size() * 72 / 100);
    assertThat(byPath.get("data/measurements.csv").memberLength())
        .isLessThan(byPath.get("data/measurements.csv").size() / 2);
    assertThat(byPath.get("data/layer.bin").memberLength())
        .isLessThan(byPath.get("data/layer.bin").size() * 96 / 100);
  }

  @Test
  void aWorkerThatFailsFailsTheBackupAndLeavesNothingBehind() throws Exception {
    GzipMembers.Settings failing =
        new GzipMembers.Settings(
            3,
            CHUNK,
            seq -> {
              if (seq == 40) {
                throw new IllegalStateException("injected worker failure");
              }
            });
    Path root = tmp.resolve("failing");
    Repository repo = new Repository(root, Clock.systemUTC(), failing);
    assertThatThrownBy(
            () ->
                repo.writeFromDirectory(
                    "s", "src", source, List.of(), List.of(), ProgressListener.NONE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("injected worker failure");
    try (Stream<Path> files = Files.walk(root)) {
      assertThat(files.filter(Files::isRegularFile).filter(p -> !p.endsWith(".lock")).toList())
          .as("no partial archive, manifest or latest")
          .isEmpty();
    }
    assertThat(repo.list("s", "src")).isEmpty();
    // the pool is gone: no compressing thread outlives the failed backup
    Thread.sleep(200);
    assertThat(
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("lifeboat-gzip")))
        .isEmpty();
  }

  @Test
  void aCancelDuringParallelCompressionLeavesNothingBehind() throws Exception {
    Path root = tmp.resolve("cancel");
    Repository repo = new Repository(root, Clock.systemUTC(), PARALLEL);
    ProgressListener cancelling =
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {}

          @Override
          public void checkCancelled() {
            if (++calls > 300) {
              throw new java.util.concurrent.CancellationException("cancelled");
            }
          }

          int calls;
        };
    assertThatThrownBy(
            () -> repo.writeFromDirectory("s", "src", source, List.of(), List.of(), cancelling))
        .isInstanceOf(java.util.concurrent.CancellationException.class);
    try (Stream<Path> files = Files.walk(root)) {
      assertThat(files.filter(Files::isRegularFile).filter(p -> !p.endsWith(".lock")).toList())
          .isEmpty();
    }
  }

  private BackupResult backup(String name, GzipMembers.Settings settings) throws IOException {
    return new Repository(tmp.resolve(name), Clock.systemUTC(), settings)
        .writeFromDirectory("s", "src", source, List.of(), List.of(), ProgressListener.NONE);
  }

  private Manifest manifest(BackupResult b) {
    return new Repository(b.ref().path().getParent().getParent().getParent()).manifest(b.ref());
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  private static byte[] commonsGzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /**
   * Inflates bytes that must be whole gzip members one after the other (each: header without
   * optional fields, one deflate stream, matching trailer, at most {@code maxPerMember} bytes
   * inflated); returns their data.
   */
  static byte[] members(byte[] members, int maxPerMember) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    int at = 0;
    while (at < members.length) {
      int used = member(members, at, all, maxPerMember);
      at += used;
    }
    return all.toByteArray();
  }

  /** Inflates one member starting at {@code start}; returns its length in bytes. */
  private static int member(byte[] member, int start, ByteArrayOutputStream all, int maxPerMember)
      throws IOException {
    assertThat(member.length - start).isGreaterThan(18);
    assertThat(member[start]).isEqualTo((byte) 0x1f);
    assertThat(member[start + 1]).isEqualTo((byte) 0x8b);
    assertThat(member[start + 3]).as("no optional header fields").isZero();
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(member, start + 10, member.length - start - 10);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[64 * 1024];
      while (!inflater.finished()) {
        int n = inflater.inflate(buf);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new IOException("truncated member");
        }
        out.write(buf, 0, n);
      }
      byte[] data = out.toByteArray();
      assertThat(data.length).isLessThanOrEqualTo(maxPerMember);
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(data);
      int at = member.length - inflater.getRemaining();
      assertThat(inflater.getRemaining()).isGreaterThanOrEqualTo(8);
      long storedCrc =
          (member[at] & 0xffL)
              | (member[at + 1] & 0xffL) << 8
              | (member[at + 2] & 0xffL) << 16
              | (member[at + 3] & 0xffL) << 24;
      long storedSize =
          (member[at + 4] & 0xffL)
              | (member[at + 5] & 0xffL) << 8
              | (member[at + 6] & 0xffL) << 16
              | (member[at + 7] & 0xffL) << 24;
      assertThat(storedCrc).isEqualTo(crc.getValue());
      assertThat(storedSize).isEqualTo(data.length & 0xffffffffL);
      all.write(data);
      return at + 8 - start;
    } catch (DataFormatException e) {
      throw new IOException(e);
    } finally {
      inflater.end();
    }
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
