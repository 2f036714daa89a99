package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.io.File;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a manifest as Lifeboat writes one, field by field from the parser's tokens: an incremental
 * backup of a large tree reads the previous manifest before it can copy anything, and a fresh JVM
 * took ~0.6 s of CPU on the bench tree's 7 MB through the data binder (its generic record creation
 * runs interpreted at first), against ~0.4 s this way. Anything it does not expect (a value of
 * another kind, a null, a time in another spelling, a key twice, bytes after the object) is left to
 * {@link Json#MANIFEST}, which reads the file again and gives the same result or the same error as
 * always: this is a shortcut for well-formed manifests, never a second set of rules.
 */
final class ManifestParser {
  private ManifestParser() {}

  /** Not the shape this parser takes: the data binder reads the file. */
  static final class Unexpected extends Exception {
    Unexpected() {
      super(null, null, false, false);
    }
  }

  private static final Unexpected UNEXPECTED = new Unexpected();

  static Manifest read(File file) throws IOException {
    try {
      return fast(file);
    } catch (Unexpected | IOException e) {
      // the binder's reading decides, with its own error for what is wrong
      return Json.MANIFEST.readValue(file);
    }
  }

  /** The manifest read the quick way; throws {@link Unexpected} for anything else. */
  static Manifest fast(File file) throws IOException, Unexpected {
    try (JsonParser p = Json.MANIFEST.createParser(file)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw UNEXPECTED;
      }
      int formatVersion = 0;
      String set = null;
      String source = null;
      String archive = null;
      Instant created = null;
      String compression = null;
      List<Entry> entries = null;
      Manifest.Totals totals = null;
      String archiveSha256 = null;
      Manifest.Root root = null;
      Long unreadable = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "formatVersion" -> {
            long v = number(p, t);
            if (v != (int) v) {
              throw UNEXPECTED;
            }
            formatVersion = (int) v;
          }
          case "set" -> set = text(p, t);
          case "source" -> source = text(p, t);
          case "archive" -> archive = text(p, t);
          case "created" -> created = instant(p, t);
          case "compression" -> compression = text(p, t);
          case "entries" -> entries = entries(p, t);
          case "totals" -> totals = totals(p, t);
          case "archiveSha256" -> archiveSha256 = text(p, t);
          case "root" -> root = root(p, t);
          case "unreadable" -> unreadable = number(p, t);
          default -> p.skipChildren();
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw UNEXPECTED;
      }
      return new Manifest(
          formatVersion,
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
  }

  private static List<Entry> entries(JsonParser p, JsonToken t) throws IOException, Unexpected {
    if (t != JsonToken.START_ARRAY) {
      throw UNEXPECTED;
    }
    List<Entry> entries = new ArrayList<>();
    while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
      entries.add(entry(p));
    }
    if (t != JsonToken.END_ARRAY) {
      throw UNEXPECTED;
    }
    return entries;
  }

  private static Entry entry(JsonParser p) throws IOException, Unexpected {
    String path = null;
    EntryType type = null;
    String mode = null;
    Instant mtime = null;
    long size = 0;
    String sha256 = null;
    String linkTarget = null;
    long tarOffset = 0;
    long memberOffset = 0;
    long memberLength = 0;
    Instant ctime = null;
    Long inode = null;
    Long memberCrc32c = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "path" -> path = text(p, t);
        case "type" -> type = type(p, t);
        case "mode" -> mode = text(p, t);
        case "mtime" -> mtime = instant(p, t);
        case "size" -> size = number(p, t);
        case "sha256" -> sha256 = text(p, t);
        case "linkTarget" -> linkTarget = text(p, t);
        case "tarOffset" -> tarOffset = number(p, t);
        case "memberOffset" -> memberOffset = number(p, t);
        case "memberLength" -> memberLength = number(p, t);
        case "ctime" -> ctime = instant(p, t);
        case "inode" -> inode = number(p, t);
        case "memberCrc32c" -> memberCrc32c = number(p, t);
        default -> p.skipChildren();
      }
    }
    return new Entry(
        path,
        type,
        mode,
        mtime,
        size,
        sha256,
        linkTarget,
        tarOffset,
        memberOffset,
        memberLength,
        ctime,
        inode,
        memberCrc32c);
  }

  private static Manifest.Totals totals(JsonParser p, JsonToken t) throws IOException, Unexpected {
    if (t != JsonToken.START_OBJECT) {
      throw UNEXPECTED;
    }
    long entries = 0;
    long files = 0;
    long bytes = 0;
    long tarBytes = 0;
    long compressedBytes = 0;
    long endMemberOffset = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      switch (field) {
        case "entries" -> entries = number(p, v);
        case "files" -> files = number(p, v);
        case "bytes" -> bytes = number(p, v);
        case "tarBytes" -> tarBytes = number(p, v);
        case "compressedBytes" -> compressedBytes = number(p, v);
        case "endMemberOffset" -> endMemberOffset = number(p, v);
        default -> p.skipChildren();
      }
    }
    return new Manifest.Totals(entries, files, bytes, tarBytes, compressedBytes, endMemberOffset);
  }

  private static Manifest.Root root(JsonParser p, JsonToken t) throws IOException, Unexpected {
    if (t != JsonToken.START_OBJECT) {
      throw UNEXPECTED;
    }
    String mode = null;
    Instant mtime = null;
    long uid = 0;
    long gid = 0;
    String user = null;
    String group = null;
    String path = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken v = p.nextToken();
      switch (field) {
        case "mode" -> mode = text(p, v);
        case "mtime" -> mtime = instant(p, v);
        case "uid" -> uid = number(p, v);
        case "gid" -> gid = number(p, v);
        case "user" -> user = text(p, v);
        case "group" -> group = text(p, v);
        case "path" -> path = text(p, v);
        default -> p.skipChildren();
      }
    }
    return new Manifest.Root(mode, mtime, uid, gid, user, group, path);
  }

  private static String text(JsonParser p, JsonToken t) throws IOException, Unexpected {
    if (t != JsonToken.VALUE_STRING) {
      throw UNEXPECTED;
    }
    return p.getText();
  }

  /** A whole number in a long; anything else (a fraction, text, null, too large) is unexpected. */
  private static long number(JsonParser p, JsonToken t) throws IOException, Unexpected {
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw UNEXPECTED;
    }
    return p.getLongValue();
  }

  private static Instant instant(JsonParser p, JsonToken t) throws IOException, Unexpected {
    Instant plain = IsoInstants.parsePlain(text(p, t));
    if (plain == null) {
      throw UNEXPECTED;
    }
    return plain;
  }

  private static EntryType type(JsonParser p, JsonToken t) throws IOException, Unexpected {
    EntryType type = EntryType.ofWord(text(p, t));
    if (type == null) {
      throw UNEXPECTED;
    }
    return type;
  }
}
