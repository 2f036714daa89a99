package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small files read ahead of the writer: the bytes, errors and stamps it would have read itself. */
class ReadAheadTest {
  @TempDir Path tmp;

  private static String name(int i) {
    return String.format("f%04d.txt", i);
  }

  private List<SourceScan.Found> scan(Path src) throws IOException {
    return new ArrayList<>(SourceScan.scan(src, List.of(), List.of()).items());
  }

  private static int indexOf(List<SourceScan.Found> items, String path) {
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).item().path().equals(path)) {
        return i;
      }
    }
    throw new AssertionError(path + " not scanned");
  }

  private static String text(ReadAhead.Read read) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(read.length() + 10);
    try (ReadableByteChannel in = read.channel()) {
      while (in.read(b) >= 0) {
        // until its end
      }
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  @Test
  void smallFilesAreReadAheadLargeOnesAndOtherEntriesAreLeftToTheWriter() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("small.txt"), "small\n");
    Files.write(src.resolve("large.bin"), new byte[(int) ReadAhead.MAX_BYTES + 1]);
    Files.writeString(src.resolve("empty.txt"), "");
    Files.createSymbolicLink(src.resolve("link"), Path.of("small.txt"));
    Files.createDirectories(src.resolve("dir"));
    List<SourceScan.Found> items = scan(src);
    try (ReadAhead ahead = new ReadAhead(items, 2)) {
      for (int i = 0; i < items.size(); i++) {
        String path = items.get(i).item().path();
        ReadAhead.Read read = ahead.take(i);
        switch (path) {
          case "small.txt" -> {
            assertThat(text(read)).isEqualTo("small\n");
            assertThat(read.after()).isEqualTo(items.get(i).stamp());
            assertThat(SourceScan.change(items.get(i), read.length(), read.after())).isEmpty();
          }
          case "empty.txt" -> assertThat(text(read)).isEmpty();
          default -> assertThat(read).as(path).isNull();
        }
      }
    }
  }

  @Test
  void aFileIsReadOnlyWhenTheWriterIsAWindowAwayNotBefore() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    int n = ReadAhead.WINDOW * 2;
    for (int i = 0; i < n; i++) {
      Files.writeString(src.resolve(name(i)), "file " + i + "\n");
    }
    List<SourceScan.Found> items = scan(src);
    int first = indexOf(items, name(0));
    int far = indexOf(items, name(ReadAhead.WINDOW + 5));
    try (ReadAhead ahead = new ReadAhead(items, 2)) {
      assertThat(text(ahead.take(first))).isEqualTo("file 0\n");
      // beyond the window when the writer was at the first file: not read yet, so its deletion
      // now is what the writer meets, as it would have reading it itself
      Files.delete(src.resolve(name(ReadAhead.WINDOW + 5)));
      Path touched = src.resolve(name(ReadAhead.WINDOW + 6));
      Files.writeString(touched, "CHANGED!\n");
      Files.setLastModifiedTime(touched, FileTime.from(Instant.now().plusSeconds(60)));
      for (int i = first + 1; i < far; i++) {
        assertThat(ahead.take(i)).isNotNull();
      }
      assertThat(ahead.take(far).openFailure()).isInstanceOf(NoSuchFileException.class);
      ReadAhead.Read changed = ahead.take(far + 1);
      assertThat(text(changed)).isEqualTo("CHANGED!\n");
      assertThat(SourceScan.change(items.get(far + 1), changed.length(), changed.after()))
          .map(PathNote::reason)
          .isEqualTo(Optional.of("modified while read"));
    }
  }

  @Test
  void atMostAFewMegabytesAreReadAhead() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    int held = (int) (ReadAhead.MAX_HELD / ReadAhead.MAX_BYTES);
    for (int i = 0; i < held + 20; i++) {
      Files.write(src.resolve(name(i)), new byte[(int) ReadAhead.MAX_BYTES]);
    }
    List<SourceScan.Found> items = scan(src);
    int first = indexOf(items, name(0));
    int far = indexOf(items, name(held + 10));
    try (ReadAhead ahead = new ReadAhead(items, 2)) {
      assertThat(ahead.take(first).length()).isEqualTo((int) ReadAhead.MAX_BYTES);
      // within the window by count, beyond it by bytes: not read yet
      Files.delete(src.resolve(name(held + 10)));
      for (int i = first + 1; i < far; i++) {
        assertThat(ahead.take(i).length()).isEqualTo((int) ReadAhead.MAX_BYTES);
      }
      assertThat(ahead.take(far).openFailure()).isInstanceOf(NoSuchFileException.class);
    }
  }

  @Test
  void aFileThatBecameALinkOrChangedAfterTheScanIsToldAsTheWriterWouldTellIt() throws IOException {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("a.txt"), "aaaa\n");
    Files.writeString(src.resolve("b.txt"), "bbbb\n");
    Files.writeString(src.resolve("c.txt"), "cccc\n");
    Files.writeString(tmp.resolve("secret"), "not in the source\n");
    List<SourceScan.Found> items = scan(src);
    // after the scan: a file swapped for a link to something outside, one cut short, one touched
    Files.delete(src.resolve("a.txt"));
    Files.createSymbolicLink(src.resolve("a.txt"), tmp.resolve("secret"));
    Files.writeString(src.resolve("b.txt"), "b");
    Files.setLastModifiedTime(src.resolve("c.txt"), FileTime.from(Instant.now().plusSeconds(60)));
    try (ReadAhead ahead = new ReadAhead(items, 2)) {
      int a = indexOf(items, "a.txt");
      int b = indexOf(items, "b.txt");
      int c = indexOf(items, "c.txt");
      // never followed: the link is refused at open, as SparseInput refuses it
      ReadAhead.Read link = ahead.take(a);
      assertThat(link.openFailure()).isNotNull();
      assertThatThrownBy(() -> SparseInput.channel(src.resolve("a.txt"), 5))
          .isInstanceOf(IOException.class);
      ReadAhead.Read cut = ahead.take(b);
      assertThat(text(cut)).isEqualTo("b");
      assertThat(SourceScan.change(items.get(b), cut.length(), cut.after()))
          .map(PathNote::reason)
          .isEqualTo(Optional.of(SourceScan.SHRANK + " (padded with zeros)"));
      ReadAhead.Read touched = ahead.take(c);
      assertThat(text(touched)).isEqualTo("cccc\n");
      assertThat(SourceScan.change(items.get(c), touched.length(), touched.after()))
          .map(PathNote::reason)
          .isEqualTo(Optional.of("modified while read"));
    }
  }

  @Test
  void aReadThatFailedGivesItsBytesThenItsError() {
    IOException eio = new IOException("Input/output error");
    ReadAhead.Read read =
        new ReadAhead.Read("abc".getBytes(StandardCharsets.UTF_8), 3, null, eio, null);
    ReadableByteChannel in = read.channel();
    ByteBuffer b = ByteBuffer.allocate(2);
    assertThatThrownBy(
            () -> {
              assertThat(in.read(b)).isEqualTo(2);
              b.clear();
              assertThat(in.read(b)).isEqualTo(1);
              in.read(b);
            })
        .isSameAs(eio);
  }
}
