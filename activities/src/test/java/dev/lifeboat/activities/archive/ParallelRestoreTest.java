package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel restore: entries are read from their own members and written on several threads.
 * Small chunks (256 KiB) make files of many members, some stored and some deflated; members larger
 * than the decoder's buffers go through the JDK's zlib.
 */
class ParallelRestoreTest {
  private static final int CHUNK = 256 * 1024;

  @TempDir Path tmp;
  Repository repo;
  Path src;

  @BeforeEach
  void setUp() throws IOException {
    repo =
        new Repository(
            tmp.resolve("repo"), Clock.systemUTC(), new GzipMembers.Settings(2, CHUNK, null));
    src = tmp.resolve("src");
    Random random = new Random(12);
    for (int d = 0; d < 12; d++) {
      for (int f = 0; f < 25; f++) {
        Fixtures.write(
            src.resolve("dir" + d + "/sub/file" + f + ".txt"),
            ("line " + d + "/" + f + "\n").repeat(random.nextInt(2000)),
            f % 3 == 0 ? "rwxr-x---" : "rw-r--r--");
      }
    }
    // noise then text: stored members and deflated members in one file
    byte[] mixed = new byte[6 * CHUNK + 123];
    random.nextBytes(mixed);
    byte[] text =
        "weights are not text, but this half is\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
    System.arraycopy(text, 0, mixed, 3 * CHUNK, Math.min(text.length, mixed.length - 3 * CHUNK));
    Files.createDirectories(src.resolve("models"));
    Files.write(src.resolve("models/mixed.bin"), mixed);
    // all-zero blocks in the middle stay holes
    byte[] sparse = new byte[40 * 4096];
    random.nextBytes(sparse);
    java.util.Arrays.fill(sparse, 4096, 36 * 4096, (byte) 0);
    Files.write(src.resolve("models/sparse.bin"), sparse);
    Files.createLink(src.resolve("models/hard.bin"), src.resolve("models/mixed.bin"));
    Files.createSymbolicLink(src.resolve("models/latest"), Path.of("mixed.bin"));
    Files.createSymbolicLink(src.resolve("dir0/up"), Path.of("../models"));
    Files.createDirectories(src.resolve("empty/dir"));
  }

  @Test
  void manyFilesOverManyMembersComeBackAsGnuTarRestoresThem() throws Exception {
    BackupResult b =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    Set<String> threads = ConcurrentHashMap.newKeySet();
    Path byLifeboat = tmp.resolve("by-lifeboat");
    repo.restoreToDirectory(
        b.ref(),
        byLifeboat,
        false,
        new ProgressListener() {
          @Override
          public void progress(long bytesDone, long bytesTotal, long filesDone) {
            Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(n -> n.startsWith("lifeboat-restore-"))
                .forEach(threads::add);
          }
        });
    assertThat(threads).as("threads that restored").hasSizeGreaterThan(1);

    Path byTar = Files.createDirectories(tmp.resolve("by-tar"));
    Fixtures.Run tar =
        Fixtures.run(byTar, "tar", "xzf", b.ref().path().toString(), "-C", byTar.toString());
    assertThat(tar.exit()).as("tar: " + tar.err()).isZero();
    assertThat(FaithfulRestoreTest.describe(byLifeboat))
        .isEqualTo(FaithfulRestoreTest.describe(byTar))
        .isEqualTo(FaithfulRestoreTest.describe(src));
    assertThat(FaithfulRestoreTest.allocatedBytes(byLifeboat.resolve("models/sparse.bin")))
        .as("allocated bytes of the file with a hole")
        .isLessThan(20 * 4096);
  }

  @Test
  void aFileOfStoredAndDeflatedMembersIsRestoredAndVerified() throws Exception {
    BackupResult b =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    Manifest.Entry mixed = entry(b, "models/mixed.bin");
    List<Member> members = members(b.ref().path(), mixed);
    assertThat(members).extracting(Member::stored).as("stored and deflated").contains(true, false);

    repo.verify(b.ref(), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readAllBytes(target.resolve("models/mixed.bin")))
        .isEqualTo(Files.readAllBytes(src.resolve("models/mixed.bin")));
  }

  @Test
  void membersLargerThanTheDecoderBuffersAreReadByTheJdk() throws Exception {
    int big = MemberDecoder.IN_BYTES + (1 << 20);
    Repository bigChunks =
        new Repository(
            tmp.resolve("repo-big"), Clock.systemUTC(), new GzipMembers.Settings(2, big, null));
    byte[] noise = new byte[big + 5000];
    new Random(3).nextBytes(noise);
    Files.write(src.resolve("models/noise.bin"), noise);
    BackupResult b =
        bigChunks.writeFromDirectory(
            "local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    assertThat(entry(b, "models/noise.bin").memberLength()).isGreaterThan(MemberDecoder.IN_BYTES);

    bigChunks.verify(b.ref(), ProgressListener.NONE);
    Path target = tmp.resolve("target");
    bigChunks.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE);
    assertThat(Files.readAllBytes(target.resolve("models/noise.bin"))).isEqualTo(noise);
  }

  @Test
  void aCorruptMemberInTheMiddleFailsTheWholeRestoreAndStopsEveryThread() throws Exception {
    BackupResult b =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    Manifest.Entry middle = entry(b, "dir6/sub/file7.txt");
    Fixtures.damageMember(b.ref().path(), middle);
    Path target = tmp.resolve("target");

    assertThatThrownBy(
            () ->
                repo.checked(
                    b.ref(),
                    "restore",
                    () -> repo.restoreToDirectory(b.ref(), target, false, ProgressListener.NONE)))
        .isInstanceOf(DamagedArchive.class)
        // the file, or the one of its pack where the decoding failed
        .satisfies(
            t ->
                assertThat(Fixtures.packOf(repo.manifest(b.ref()), "dir6/sub/file7.txt"))
                    .anyMatch(p -> t.getMessage().contains("'" + p + "'")));
    // no half tree that could pass for a restore, and nothing is still writing into the target
    assertThat(target).as("the folder the restore made is gone").doesNotExist();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("lifeboat-restore-") && t.isAlive());
    Manifest m = repo.manifest(b.ref());
    assertThat(ArchiveStates.read(b.ref(), m, null).isDamaged()).isTrue();
  }

  @Test
  void aFlippedByteInAStoredMemberFailsVerifyAndRestore() throws Exception {
    BackupResult b =
        repo.writeFromDirectory("local", "src", src, List.of(), List.of(), ProgressListener.NONE);
    Manifest.Entry mixed = entry(b, "models/mixed.bin");
    Member stored =
        members(b.ref().path(), mixed).stream().filter(Member::stored).findFirst().orElseThrow();
    // a byte of data in the first stored block: past the gzip header and the block's own header
    flip(b.ref().path(), stored.offset() + 10 + 5 + 1000);

    assertThatThrownBy(() -> repo.verify(b.ref(), ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'" + mixed.path() + "'");
    assertThatThrownBy(
            () ->
                repo.restoreToDirectory(
                    b.ref(), tmp.resolve("target"), false, ProgressListener.NONE))
        .isInstanceOf(DamagedArchive.class)
        .hasMessageContaining("'" + mixed.path() + "'");
  }

  /** The entry of {@code path}; for a hard link, the file entry it names (which has the data). */
  private Manifest.Entry entry(BackupResult b, String path) throws IOException {
    Manifest.Entry e =
        repo.manifest(b.ref()).entries().stream()
            .filter(x -> x.path().equals(path))
            .findFirst()
            .orElseThrow();
    return e.type() == Manifest.EntryType.HARDLINK ? entry(b, e.linkTarget()) : e;
  }

  /** A gzip member: where it starts in the archive, whether its first block is a stored one. */
  record Member(long offset, boolean stored) {}

  private static List<Member> members(Path archive, Manifest.Entry e)
      throws IOException, DataFormatException {
    byte[] bytes = new byte[(int) e.memberLength()];
    try (FileChannel ch = FileChannel.open(archive, StandardOpenOption.READ)) {
      ch.read(ByteBuffer.wrap(bytes), e.memberOffset());
    }
    List<Member> out = new ArrayList<>();
    int at = 0;
    byte[] sink = new byte[1 << 20];
    while (at < bytes.length) {
      // the writer's members have the 10-byte header without optional fields
      int body = at + 10;
      out.add(new Member(e.memberOffset() + at, ((bytes[body] >> 1) & 3) == 0));
      Inflater inflater = new Inflater(true);
      inflater.setInput(bytes, body, bytes.length - body);
      while (!inflater.finished()) {
        inflater.inflate(sink);
      }
      at = body + (int) inflater.getBytesRead() + 8;
      inflater.end();
    }
    return out;
  }

  private static void flip(Path file, long at) throws IOException {
    ArchiveRoundTripTest.flip(file, at);
  }
}
