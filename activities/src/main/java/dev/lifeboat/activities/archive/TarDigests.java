package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * SHA-256 of every regular file in a plain tar stream (e.g. {@code tar cf -} of a restored
 * directory in a pod), compared with an archive's manifest: the proof that a restore put back what
 * was saved.
 */
public final class TarDigests {
  private TarDigests() {}

  /** Path (without a leading {@code ./}) to hex SHA-256 of each regular file. */
  public static Map<String, String> of(InputStream plainTar, ProgressListener listener)
      throws IOException {
    Map<String, String> out = new TreeMap<>();
    byte[] buf = new byte[64 * 1024];
    long bytes = 0;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(plainTar)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (!e.isFile() || e.isLink()) {
          continue;
        }
        MessageDigest sha = Digests.sha256();
        int n;
        while ((n = tar.read(buf)) > 0) {
          sha.update(buf, 0, n);
          bytes += n;
        }
        out.put(strip(e.getName()), Digests.hex(sha.digest()));
        listener.progress(bytes, 0, out.size());
        listener.checkCancelled();
      }
    }
    return out;
  }

  /**
   * Path (relative, with {@code /}) to hex SHA-256 of each regular file below {@code root}, links
   * not followed: the same comparison for a restore into a local directory.
   */
  public static Map<String, String> ofDirectory(Path root, ProgressListener listener)
      throws IOException {
    Map<String, String> out = new TreeMap<>();
    byte[] buf = new byte[64 * 1024];
    long bytes = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        MessageDigest sha = Digests.sha256();
        try (InputStream in = Files.newInputStream(p)) {
          int n;
          while ((n = in.read(buf)) > 0) {
            sha.update(buf, 0, n);
            bytes += n;
          }
        }
        out.put(root.relativize(p).toString().replace('\\', '/'), Digests.hex(sha.digest()));
        listener.progress(bytes, 0, out.size());
        listener.checkCancelled();
      }
    }
    return out;
  }

  /** The regular files a manifest records, path to digest. */
  public static Map<String, String> expected(Manifest manifest) {
    Map<String, String> out = new TreeMap<>();
    for (Manifest.Entry e : manifest.entries()) {
      if (e.type() == Manifest.EntryType.FILE) {
        out.put(strip(e.path()), e.sha256());
      }
    }
    return out;
  }

  /** Human-readable differences, at most {@code limit} of them; empty when the two agree. */
  public static List<String> differences(
      Map<String, String> expected, Map<String, String> actual, int limit) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String have = actual.get(e.getKey());
      if (have == null) {
        out.add("missing: " + e.getKey());
      } else if (!have.equals(e.getValue())) {
        out.add("content differs: " + e.getKey());
      }
      if (out.size() >= limit) {
        return out;
      }
    }
    for (String k : actual.keySet()) {
      if (!expected.containsKey(k)) {
        out.add("not in the archive: " + k);
        if (out.size() >= limit) {
          break;
        }
      }
    }
    return out;
  }

  private static String strip(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n;
  }
}
