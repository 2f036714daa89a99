package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import com.fasterxml.jackson.datatype.jsr310.ser.InstantSerializer;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * Instants as ISO-8601 UTC text ({@code 2024-05-01T12:00:00.5Z}), exactly as {@link
 * DateTimeFormatter#ISO_INSTANT} writes and reads them, without its general machinery: a manifest
 * holds two per file, and a large tree's manifest is read on every backup, listing and one-file
 * read. Anything but the plain form (years outside 0000-9999, offsets) goes through {@code
 * ISO_INSTANT}.
 */
final class IsoInstants {
  private IsoInstants() {}

  static SimpleModule module() {
    SimpleModule m = new SimpleModule("lifeboat-iso-instants");
    m.addSerializer(Instant.class, new Writer());
    m.addDeserializer(Instant.class, new Reader());
    return m;
  }

  static String format(Instant t) {
    long seconds = t.getEpochSecond();
    long days = Math.floorDiv(seconds, 86_400);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400);
    if (days < MIN_DAY || days > MAX_DAY) {
      return DateTimeFormatter.ISO_INSTANT.format(t);
    }
    LocalDate d = LocalDate.ofEpochDay(days);
    char[] c = new char[30];
    int n = 0;
    n = digits(c, n, d.getYear(), 4);
    c[n++] = '-';
    n = digits(c, n, d.getMonthValue(), 2);
    c[n++] = '-';
    n = digits(c, n, d.getDayOfMonth(), 2);
    c[n++] = 'T';
    n = digits(c, n, secondOfDay / 3600, 2);
    c[n++] = ':';
    n = digits(c, n, secondOfDay / 60 % 60, 2);
    c[n++] = ':';
    n = digits(c, n, secondOfDay % 60, 2);
    int nanos = t.getNano();
    if (nanos != 0) {
      // as ISO_INSTANT: in groups of three digits
      c[n++] = '.';
      if (nanos % 1_000_000 == 0) {
        n = digits(c, n, nanos / 1_000_000, 3);
      } else if (nanos % 1_000 == 0) {
        n = digits(c, n, nanos / 1_000, 6);
      } else {
        n = digits(c, n, nanos, 9);
      }
    }
    c[n++] = 'Z';
    return new String(c, 0, n);
  }

  static Instant parse(String s) {
    Instant plain = parsePlain(s);
    return plain != null ? plain : DateTimeFormatter.ISO_INSTANT.parse(s, Instant::from);
  }

  private static final long MIN_DAY = LocalDate.of(0, 1, 1).toEpochDay();
  private static final long MAX_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

  /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or null for anything else (left to ISO_INSTANT). */
  static Instant parsePlain(String s) {
    int len = s.length();
    if (len < 20
        || len > 30
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':'
        || s.charAt(len - 1) != 'Z') {
      return null;
    }
    int year = number(s, 0, 4);
    int month = number(s, 5, 7);
    int day = number(s, 8, 10);
    int hour = number(s, 11, 13);
    int minute = number(s, 14, 16);
    int second = number(s, 17, 19);
    int nanos = 0;
    if (len > 20) {
      int digits = len - 21;
      if (s.charAt(19) != '.' || digits < 1 || digits > 9) {
        return null;
      }
      nanos = number(s, 20, len - 1);
      for (int i = digits; i < 9 && nanos >= 0; i++) {
        nanos *= 10;
      }
    } else if (s.charAt(19) != 'Z') {
      return null;
    }
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59
        || nanos < 0) {
      // a leap second or anything odd: ISO_INSTANT decides
      return null;
    }
    LocalDate date;
    try {
      date = LocalDate.of(year, month, day);
    } catch (java.time.DateTimeException e) {
      return null;
    }
    return Instant.ofEpochSecond(
        date.toEpochDay() * 86_400 + hour * 3600L + minute * 60L + second, nanos);
  }

  /** The decimal number in {@code s[from, to)}, or -1 if any of it is not a digit. */
  private static int number(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  private static int digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
    return at + width;
  }

  private static final class Writer extends StdScalarSerializer<Instant> {
    Writer() {
      super(Instant.class);
    }

    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      long days = Math.floorDiv(value.getEpochSecond(), 86_400);
      if (days < MIN_DAY || days > MAX_DAY) {
        InstantSerializer.INSTANCE.serialize(value, gen, provider);
      } else {
        gen.writeString(format(value));
      }
    }
  }

  private static final class Reader extends StdScalarDeserializer<Instant> {
    Reader() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        Instant plain = parsePlain(p.getText());
        if (plain != null) {
          return plain;
        }
      }
      // numbers, offsets, odd text and errors: as the time module reads them
      return InstantDeserializer.INSTANT.deserialize(p, ctxt);
    }
  }
}
