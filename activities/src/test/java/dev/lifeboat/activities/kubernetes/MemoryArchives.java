package dev.lifeboat.activities.kubernetes;

import dev.lifeboat.activities.action.ActionContext;
import dev.lifeboat.activities.action.ActionException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A stand-in for the archive repository (which is built on another branch): keeps each archive's
 * tar bytes in memory under set/source, refuses empty sources, and answers "latest" like the real
 * one.
 */
final class MemoryArchives implements PodVolumes.TarArchives {
  final Map<String, List<byte[]>> archives = new ConcurrentHashMap<>();

  @Override
  public Map<String, Object> writeFromTar(
      String set, String source, InputStream tar, ActionContext ctx) throws IOException {
    byte[] bytes = tar.readAllBytes();
    Map<String, String> files = digests(bytes);
    if (files.isEmpty()) {
      throw ActionException.check("source " + set + "/" + source + " is empty: nothing to back up");
    }
    List<byte[]> list =
        archives.computeIfAbsent(
            set + "/" + source, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
    list.add(bytes);
    String name = String.format("2026112%dT000000Z.tar.gz", list.size());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("path", "mem:" + set + "/" + source + "/" + name);
    out.put("archive", name);
    out.put("set", set);
    out.put("source", source);
    out.put("files", files.size());
    out.put("bytes", bytes.length);
    return out;
  }

  @Override
  public Map<String, Object> copyAsTar(
      String set,
      String source,
      String archive,
      boolean folderItself,
      PodVolumes.TarSink sink,
      ActionContext ctx)
      throws IOException {
    Resolved r = resolve(set, source, archive);
    long n = sink.accept(out -> out.write(r.bytes));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("archive", r.name);
    result.put("files", digests(r.bytes).size());
    result.put("bytes", n);
    return result;
  }

  record Resolved(String set, String source, String name, byte[] bytes) {}

  Resolved resolve(String set, String source, String archive) {
    if (archive != null && archive.startsWith("mem:")) {
      String[] p = archive.substring(4).split("/");
      return resolve(p[0], p[1], p[2]);
    }
    List<byte[]> list = archives.get(set + "/" + source);
    if (list == null || list.isEmpty()) {
      throw ActionException.invalid("no archives of " + set + "/" + source);
    }
    int index = list.size() - 1;
    if (archive != null) {
      index = Integer.parseInt(archive.substring(7, 8)) - 1;
    }
    return new Resolved(
        set, source, String.format("2026112%dT000000Z.tar.gz", index + 1), list.get(index));
  }

  /** Regular files of a tar by normalised name, with their SHA-256. */
  static Map<String, String> digests(byte[] tar) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isFile()) {
          String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
          out.put(name, sha256(in.readAllBytes()));
        }
      }
    }
    return out;
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  List<String> sources() {
    return new ArrayList<>(archives.keySet());
  }
}
