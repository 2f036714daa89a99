package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.archive.ArchiveWriter.Item;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * The tar header of an ordinary entry, byte for byte what Commons Compress's TarArchiveOutputStream
 * writes for it (with a PAX record for a name or link that is not ASCII), written without it.
 *
 * <p>Going through the stream cost ~5 µs an entry warm and most of a cold backup's per-file JIT
 * time (a stream and its 10 KiB block per header, an exception per non-ASCII name). Anything out of
 * the ordinary (names of 100 bytes or more, numbers too large for octal, times before 1970, long or
 * non-ASCII owner names, characters outside the BMP) returns {@code null}: the caller asks Commons
 * Compress. TarHeadersTest compares the two on many entries; the bytes must not differ, since a
 * member is reused only when its header is the one this archive would write.
 */
final class TarHeaders {
  private static final int BLOCK = 512;
  private static final int NAME_LENGTH = 100;
  private static final int OWNER_LENGTH = 32;
  private static final long MAX_OCTAL_7 = 07777777L;
  private static final long MAX_OCTAL_11 = 077777777777L;

  private TarHeaders() {}

  /** The header bytes, or {@code null} when the entry is not ordinary. */
  static byte[] of(Item item) {
    String name = item.type() == EntryType.DIR ? item.path() + "/" : item.path();
    String link = item.linkTarget();
    long size = item.type() == EntryType.FILE ? item.size() : 0;
    long mtime = item.mtime().getEpochSecond();
    if (size < 0
        || size > MAX_OCTAL_11
        || mtime < 0
        || mtime > MAX_OCTAL_11
        || item.uid() < 0
        || item.uid() > MAX_OCTAL_7
        || item.gid() < 0
        || item.gid() > MAX_OCTAL_7
        || !plainOwner(item.user())
        || !plainOwner(item.group())) {
      return null;
    }
    byte[] nameBytes = utf8(name);
    byte[] linkBytes = link == null ? null : utf8(link);
    if (nameBytes == null
        || nameBytes.length >= NAME_LENGTH
        || nameBytes.length == 0
        || link != null && (linkBytes == null || linkBytes.length >= NAME_LENGTH)) {
      return null;
    }
    boolean paxPath = nameBytes.length != name.length();
    boolean paxLink =
        link != null
            && item.type() != EntryType.FILE
            && item.type() != EntryType.DIR
            && linkBytes.length != link.length();
    if (!paxPath && !paxLink) {
      byte[] out = new byte[BLOCK];
      entry(out, 0, item, nameBytes, linkBytes, size, mtime);
      return out;
    }
    byte[] records = records(paxPath ? nameBytes : null, paxLink ? linkBytes : null);
    int dataBlocks = (records.length + BLOCK - 1) / BLOCK;
    byte[] out = new byte[BLOCK * (2 + dataBlocks)];
    paxEntry(out, name, records.length, mtime);
    System.arraycopy(records, 0, out, BLOCK, records.length);
    entry(out, BLOCK * (1 + dataBlocks), item, nameBytes, linkBytes, size, mtime);
    return out;
  }

  /** An owner name that fits its field as is; none (null) is an empty field. */
  private static boolean plainOwner(String name) {
    if (name == null) {
      return true;
    }
    if (name.length() >= OWNER_LENGTH) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == 0 || c > 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** UTF-8 of a name without NULs or surrogates (which Commons Compress replaces), else null. */
  private static byte[] utf8(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0 || Character.isSurrogate(c)) {
        return null;
      }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The PAX records: "path" before "linkpath", the order Commons Compress's map gives them. */
  private static byte[] records(byte[] path, byte[] linkPath) {
    byte[] a = path == null ? new byte[0] : record("path", path);
    byte[] b = linkPath == null ? new byte[0] : record("linkpath", linkPath);
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** "LEN key=value\n", LEN counting its own digits. */
  private static byte[] record(String key, byte[] value) {
    int rest = 1 + key.length() + 1 + value.length + 1;
    int len = rest + Integer.toString(rest).length();
    if (Integer.toString(len).length() != Integer.toString(rest).length()) {
      len++;
    }
    byte[] head = (len + " " + key + "=").getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, len);
    System.arraycopy(value, 0, out, head.length, value.length);
    out[len - 1] = '\n';
    return out;
  }

  /** The 'x' header before the records: named after the entry in 7 bits, mode 0100644, ids 0. */
  private static void paxEntry(byte[] out, String name, int size, long mtime) {
    String pax = "./PaxHeaders.X/" + stripTo7Bits(name);
    if (pax.length() >= NAME_LENGTH) {
      pax = pax.substring(0, NAME_LENGTH - 1);
    }
    byte[] n = pax.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(n, 0, out, 0, n.length);
    octal(out, 100, 8, 0100644);
    octal(out, 108, 8, 0);
    octal(out, 116, 8, 0);
    octal(out, 124, 12, size);
    octal(out, 136, 12, mtime);
    out[156] = 'x';
    tail(out, 0, null, null, n.length, 0);
  }

  private static String stripTo7Bits(String name) {
    StringBuilder s = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = (char) (name.charAt(i) & 0x7f);
      s.append(c == 0 || c == '/' || c == '\\' ? '_' : c);
    }
    return s.toString();
  }

  private static void entry(
      byte[] out, int at, Item item, byte[] name, byte[] link, long size, long mtime) {
    System.arraycopy(name, 0, out, at, name.length);
    octal(out, at + 100, 8, item.mode() & 07777);
    octal(out, at + 108, 8, item.uid());
    octal(out, at + 116, 8, item.gid());
    octal(out, at + 124, 12, size);
    octal(out, at + 136, 12, mtime);
    out[at + 156] =
        switch (item.type()) {
          case FILE -> '0';
          case HARDLINK -> '1';
          case SYMLINK -> '2';
          case DIR -> '5';
        };
    if (link != null) {
      System.arraycopy(link, 0, out, at + 157, link.length);
    }
    tail(out, at, item.user(), item.group(), name.length, link == null ? 0 : link.length);
  }

  /**
   * Magic, owner names, device numbers and the checksum of the header at {@code at}, whose name and
   * link fields hold {@code nameLength} and {@code linkLength} bytes.
   */
  private static void tail(
      byte[] out, int at, String user, String group, int nameLength, int linkLength) {
    byte[] magic = {'u', 's', 't', 'a', 'r', 0, '0', '0'};
    System.arraycopy(magic, 0, out, at + 257, magic.length);
    if (user != null) {
      ascii(out, at + 265, user);
    }
    if (group != null) {
      ascii(out, at + 297, group);
    }
    octal(out, at + 329, 8, 0);
    octal(out, at + 337, 8, 0);
    // the checksum field counts as eight spaces; it holds zeros until it is written below. The
    // header is a new array: past the name, the link target and the device numbers it is zeros,
    // which add nothing, so only the fields written are summed (a third of the block, typically)
    int sum = 8 * ' ' + sum(out, at, nameLength);
    sum += sum(out, at + 100, 57 + linkLength);
    sum += sum(out, at + 257, 345 - 257);
    TarUtils.formatCheckSumOctalBytes(sum, out, at + 148, 8);
  }

  private static int sum(byte[] b, int from, int length) {
    int sum = 0;
    for (int i = from, end = from + length; i < end; i++) {
      sum += b[i] & 0xff;
    }
    return sum;
  }

  private static void ascii(byte[] out, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      out[at + i] = (byte) s.charAt(i);
    }
  }

  /** {@code width - 1} octal digits, zero-padded, then a space (the caller checked the range). */
  private static void octal(byte[] out, int at, int width, long value) {
    TarUtils.formatLongOctalBytes(value, out, at, width);
  }
}
