package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

/**
 * TarRun reads every stream as Commons Compress's TarArchiveInputStream does: the same entries, the
 * same data, the same end and the same failure, on valid streams (ordinary headers, PAX and GNU
 * long names, names that are not ASCII), on every truncation of one, and on damaged ones.
 */
class TarRunTest {
  private static final String[] NAMES = {
    "notebooks/a.ipynb",
    "data",
    "größe.csv",
    "数据分析/x",
    "a b/-rf",
    "x".repeat(120),
    "deep/" + "y".repeat(99),
    "ÿ\u0080",
    "model.safetensors",
  };

  @Test
  void validStreamsReadAlike() throws IOException {
    Random r = new Random(20261202);
    for (int i = 0; i < 300; i++) {
      byte[] tar = archive(r, i % 2 == 0);
      assertSame(tar);
    }
  }

  @Test
  void everyTruncationReadsAlike() throws IOException {
    Random r = new Random(7);
    for (int k = 0; k < 4; k++) {
      byte[] tar = archive(r, k % 2 == 0);
      for (int cut = 0; cut < tar.length; cut += k < 2 ? 1 : 37) {
        assertSame(Arrays.copyOf(tar, cut));
      }
    }
  }

  @Test
  void damagedStreamsReadAlike() throws IOException {
    Random r = new Random(11);
    for (int i = 0; i < 3000; i++) {
      byte[] tar = archive(r, i % 3 == 0);
      int flips = 1 + r.nextInt(3);
      for (int f = 0; f < flips; f++) {
        int at = r.nextInt(tar.length);
        // now and then the type flag, where a header turns into another kind
        if (i % 4 == 0) {
          at = (at / 512) * 512 + TarConstants.LF_OFFSET;
        }
        tar[at] ^= (byte) (1 + r.nextInt(255));
      }
      assertSame(tar);
    }
  }

  @Test
  void aZeroBlockEndsBothAndTheOrdinaryPathIsTaken() throws IOException {
    Random r = new Random(3);
    byte[] tar = archive(r, false);
    byte[] withZeros = new byte[tar.length + 1024];
    // an entry, a zero block, then more entries: both stop at the zero block
    System.arraycopy(tar, 0, withZeros, 0, 1024);
    System.arraycopy(tar, 1024, withZeros, 1536, tar.length - 1024);
    assertSame(withZeros);
    // the plain headers do not go through the stream: its buffers were what this class is for
    try (TarRun run = new TarRun(new ByteArrayInputStream(plainArchive()))) {
      int n = 0;
      while (run.next() != null) {
        n++;
      }
      assertThat(n).isEqualTo(3);
      assertThat(run.delegated()).isFalse();
    }
  }

  @Test
  void paxHeadersOfNamesThatAreNotAsciiAreReadHereAsTheStreamReadsThem() throws IOException {
    Random r = new Random(5);
    for (int i = 0; i < 200; i++) {
      byte[] tar = paxNamesArchive(r);
      assertSame(tar);
      try (TarRun run = new TarRun(new ByteArrayInputStream(tar))) {
        while (run.next() != null) {
          // entries only
        }
        assertThat(run.delegated()).as("archive %d", i).isFalse();
      }
    }
  }

  @Test
  void paxRecordsOtherThanANameAndALinkAreLeftToTheStream() {
    assertThat(records("11 path=ab\n")).containsExactly("ab", null);
    assertThat(records("11 path=ab\n17 linkpath=cdé\n")).containsExactly("ab", "cdé");
    for (String odd :
        List.of(
            "",
            "8 path=\n", // an empty value deletes in the stream
            "11 path=ab\n11 path=cd\n", // twice
            "11 size=12\n",
            "13 uname=ana\n",
            "011 path=a\n",
            "11 path=ab ", // no newline
            "12 path=ab\n", // longer than what is there
            "10 path=ab\n", // the length does not end at the newline
            "11 path ab\n",
            "x1 path=ab\n",
            "11 path=ab\nX",
            "11 path=a\u0000\n")) {
      assertThat(records(odd)).as(odd).isNull();
    }
  }

  private static String[] records(String text) {
    byte[] b = ("pad" + text).getBytes(StandardCharsets.UTF_8);
    return TarRun.paxRecords(b, 3, b.length - 3);
  }

  /** Entries whose names and link targets are not ASCII, PAX records as Lifeboat writes them. */
  private static byte[] paxNamesArchive(Random r) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes, 512, "UTF-8")) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      out.setAddPaxHeadersForNonAsciiNames(true);
      int n = 1 + r.nextInt(6);
      for (int i = 0; i < n; i++) {
        String name = NAMES[r.nextInt(NAMES.length)] + "-é" + i;
        TarArchiveEntry e;
        switch (r.nextInt(4)) {
          case 0 -> e = new TarArchiveEntry(name + "/");
          case 1 -> {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName("数据/" + NAMES[r.nextInt(NAMES.length)]);
          }
          default -> {
            e = new TarArchiveEntry(name);
            e.setSize(r.nextInt(1500));
          }
        }
        put(out, e, "ana", r);
      }
    }
    return bytes.toByteArray();
  }

  private static byte[] plainArchive() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes, 512, "UTF-8")) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      TarArchiveEntry d = new TarArchiveEntry("dir/");
      out.putArchiveEntry(d);
      out.closeArchiveEntry();
      for (String name : List.of("dir/a.py", "dir/b.py")) {
        TarArchiveEntry f = new TarArchiveEntry(name);
        f.setSize(700);
        out.putArchiveEntry(f);
        out.write(new byte[700]);
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** Random entries of every kind; PAX or GNU long names as {@code pax} says. */
  private static byte[] archive(Random r, boolean pax) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes, 512, "UTF-8")) {
      out.setLongFileMode(
          pax ? TarArchiveOutputStream.LONGFILE_POSIX : TarArchiveOutputStream.LONGFILE_GNU);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      out.setAddPaxHeadersForNonAsciiNames(pax);
      int n = 1 + r.nextInt(6);
      for (int i = 0; i < n; i++) {
        String name = NAMES[r.nextInt(NAMES.length)] + i;
        TarArchiveEntry e;
        switch (r.nextInt(5)) {
          case 0 -> e = new TarArchiveEntry(name + "/");
          case 1 -> {
            e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(NAMES[r.nextInt(NAMES.length)]);
          }
          case 2 -> {
            e = new TarArchiveEntry(name, TarConstants.LF_LINK);
            e.setLinkName("notebooks/a.ipynb");
          }
          default -> {
            e = new TarArchiveEntry(name);
            e.setSize(r.nextInt(4) == 0 ? 512L * r.nextInt(3) : r.nextInt(1500));
          }
        }
        put(out, e, r.nextBoolean() ? "ana" : "jürgen", r);
      }
    }
    return bytes.toByteArray();
  }

  /** Writes {@code e} with a time, an owner and random data of its size. */
  private static void put(TarArchiveOutputStream out, TarArchiveEntry e, String user, Random r)
      throws IOException {
    e.setModTime(1_700_000_000_000L + r.nextInt(1_000_000));
    e.setUserName(user);
    out.putArchiveEntry(e);
    if (e.isFile()) {
      byte[] data = new byte[(int) e.getSize()];
      r.nextBytes(data);
      out.write(data);
    }
    out.closeArchiveEntry();
  }

  private static void assertSame(byte[] tar) throws IOException {
    List<String> theirs = new ArrayList<>();
    try (TarArchiveInputStream in =
        new TarArchiveInputStream(new ByteArrayInputStream(tar), 512, "UTF-8")) {
      transcript(in::getNextEntry, in, theirs);
    }
    List<String> ours = new ArrayList<>();
    try (TarRun in = new TarRun(new ByteArrayInputStream(tar))) {
      transcript(in::next, in, ours);
    }
    assertThat(ours).as("entries of a %d-byte stream", tar.length).isEqualTo(theirs);
  }

  private interface Next {
    TarArchiveEntry get() throws IOException;
  }

  /** Each entry with what its data reads as (all, half or none of it, by index), then the end. */
  private static void transcript(Next next, InputStream data, List<String> out) {
    try {
      for (int i = 0; ; i++) {
        TarArchiveEntry e = next.get();
        if (e == null) {
          out.add("end");
          return;
        }
        out.add(describe(e));
        long want = i % 3 == 0 ? Long.MAX_VALUE : i % 3 == 1 ? e.getSize() / 2 : 0;
        out.add("data " + Arrays.hashCode(read(data, want)) + " available " + data.available());
      }
    } catch (IOException | RuntimeException ex) {
      out.add("failed " + ex.getClass().getName() + ": " + ex.getMessage());
    }
  }

  private static byte[] read(InputStream in, long want) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] b = new byte[97];
    while (got.size() < want) {
      int k = in.read(b, 0, (int) Math.min(b.length, want - got.size()));
      if (k < 0) {
        break;
      }
      got.write(b, 0, k);
    }
    return got.toByteArray();
  }

  private static String describe(TarArchiveEntry e) {
    return String.join(
        "|",
        e.getName(),
        e.getLinkName(),
        String.valueOf((char) e.getLinkFlag()),
        Long.toString(e.getSize()),
        Integer.toString(e.getMode()),
        String.valueOf(e.getLastModifiedTime()),
        Long.toString(e.getLongUserId()),
        Long.toString(e.getLongGroupId()),
        e.getUserName(),
        e.getGroupName(),
        Boolean.toString(e.isCheckSumOK()),
        Boolean.toString(e.isDirectory()),
        new String(e.getName().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
  }
}
