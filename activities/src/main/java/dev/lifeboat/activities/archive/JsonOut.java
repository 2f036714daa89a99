package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifeboat.activities.archive.Manifest.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;

/**
 * Manifests and state files written field by field, byte for byte as {@link Json}'s data binder
 * writes them (the tests compare the two). A fresh JVM built the binder (~0.2 CPU-s: its date
 * formats load locale data) for the first manifest and state of every backup; this needs only the
 * streaming generator.
 */
final class JsonOut {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonOut() {}

  /** A generator for {@code out} that leaves it open, as {@link Json#COMPACT} does. */
  static JsonGenerator compact(OutputStream out) throws IOException {
    return FACTORY.createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  }

  /** {@code m} as {@link Json#COMPACT} writes it. */
  static byte[] manifest(Manifest m) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = compact(out)) {
      head(g, m);
      if (m.entries() != null) {
        g.writeArrayFieldStart("entries");
        for (Entry e : m.entries()) {
          entry(g, e);
        }
        g.writeEndArray();
      }
      tail(g, m);
    }
    return out.toByteArray();
  }

  /** The manifest's object opened and its fields before the entries. */
  static void head(JsonGenerator g, Manifest m) throws IOException {
    g.writeStartObject();
    g.writeNumberField("formatVersion", m.formatVersion());
    string(g, "set", m.set());
    string(g, "source", m.source());
    string(g, "archive", m.archive());
    instant(g, "created", m.created());
    string(g, "compression", m.compression());
  }

  /** The manifest's fields after the entries, and the object closed. */
  static void tail(JsonGenerator g, Manifest m) throws IOException {
    Manifest.Totals t = m.totals();
    if (t != null) {
      g.writeObjectFieldStart("totals");
      g.writeNumberField("entries", t.entries());
      g.writeNumberField("files", t.files());
      g.writeNumberField("bytes", t.bytes());
      g.writeNumberField("tarBytes", t.tarBytes());
      g.writeNumberField("compressedBytes", t.compressedBytes());
      g.writeNumberField("endMemberOffset", t.endMemberOffset());
      g.writeEndObject();
    }
    string(g, "archiveSha256", m.archiveSha256());
    Manifest.Root r = m.root();
    if (r != null) {
      g.writeObjectFieldStart("root");
      string(g, "mode", r.mode());
      instant(g, "mtime", r.mtime());
      g.writeNumberField("uid", r.uid());
      g.writeNumberField("gid", r.gid());
      string(g, "user", r.user());
      string(g, "group", r.group());
      string(g, "path", r.path());
      g.writeEndObject();
    }
    if (m.unreadable() != null) {
      g.writeNumberField("unreadable", m.unreadable());
    }
    g.writeEndObject();
  }

  /** One entry of the manifest's array. */
  static void entry(JsonGenerator g, Entry e) throws IOException {
    if (e == null) {
      g.writeNull();
      return;
    }
    g.writeStartObject();
    string(g, "path", e.path());
    string(g, "type", e.type() == null ? null : e.type().word());
    string(g, "mode", e.mode());
    instant(g, "mtime", e.mtime());
    g.writeNumberField("size", e.size());
    string(g, "sha256", e.sha256());
    string(g, "linkTarget", e.linkTarget());
    g.writeNumberField("tarOffset", e.tarOffset());
    g.writeNumberField("memberOffset", e.memberOffset());
    g.writeNumberField("memberLength", e.memberLength());
    instant(g, "ctime", e.ctime());
    if (e.inode() != null) {
      g.writeNumberField("inode", e.inode());
    }
    if (e.memberCrc32c() != null) {
      g.writeNumberField("memberCrc32c", e.memberCrc32c());
    }
    g.writeEndObject();
  }

  /**
   * {@code s} as {@link Json#MAPPER} writes it: indented, no nulls (the binder puts the two derived
   * fields in either order, as reflection lists them).
   */
  static byte[] state(ArchiveState s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out).useDefaultPrettyPrinter()) {
      g.writeStartObject();
      string(g, "state", s.state() == null ? null : s.state().word());
      instant(g, "at", s.at());
      string(g, "by", s.by());
      string(g, "error", s.error());
      string(g, "manifestSha256", s.manifestSha256());
      instant(g, "archiveModified", s.archiveModified());
      g.writeBooleanField("verified", s.isVerified());
      g.writeBooleanField("damaged", s.isDamaged());
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void string(JsonGenerator g, String field, String value) throws IOException {
    if (value != null) {
      g.writeStringField(field, value);
    }
  }

  private static void instant(JsonGenerator g, String field, Instant value) throws IOException {
    if (value != null) {
      g.writeStringField(field, IsoInstants.format(value));
    }
  }
}
