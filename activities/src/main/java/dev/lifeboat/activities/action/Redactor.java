package dev.lifeboat.activities.action;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The configured secret values (offsite password and salt, their obscured forms, API tokens) and
 * the one place that masks them as {@code ***}. Every error text, step log line and application log
 * line an action produces passes through {@link #redact}. JVM-wide because the logging system, the
 * dispatcher and the process runner must all see the same set.
 */
public final class Redactor {
  /** Shorter values would mask ordinary words; a real secret is longer. */
  static final int MIN_LENGTH = 4;

  private static final Set<String> SECRETS = new CopyOnWriteArraySet<>();

  private Redactor() {}

  /** Adds values to mask from now on; null, blank and very short values are ignored. */
  public static void add(String... values) {
    for (String v : values) {
      if (v != null && v.strip().length() >= MIN_LENGTH) {
        SECRETS.add(v);
        if (!v.equals(v.strip())) {
          SECRETS.add(v.strip());
        }
      }
    }
  }

  public static void addAll(Iterable<String> values) {
    values.forEach(Redactor::add);
  }

  /** The text with every known secret (and each of {@code extra}) replaced by {@code ***}. */
  public static String redact(String text, Iterable<String> extra) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    List<String> all = new ArrayList<>(SECRETS);
    extra.forEach(
        s -> {
          if (s != null && s.length() >= MIN_LENGTH) {
            all.add(s);
          }
        });
    if (all.isEmpty()) {
      return text;
    }
    // longest first, so a secret that contains another is masked whole
    all.sort(Comparator.comparingInt(String::length).reversed());
    String out = text;
    for (String s : all) {
      if (out.contains(s)) {
        out = out.replace(s, "***");
      }
    }
    return out;
  }

  public static String redact(String text) {
    return redact(text, List.of());
  }

  /**
   * Whether any configured secret occurs in {@code text} (cheap check before rebuilding a log
   * event).
   */
  public static boolean containsSecret(String text) {
    if (text == null || SECRETS.isEmpty()) {
      return false;
    }
    for (String s : SECRETS) {
      if (text.contains(s)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The throwable itself when no message in its cause chain holds a secret, else a copy of the
   * chain with masked messages (each naming the original class) and the original stack traces.
   */
  public static Throwable redact(Throwable error) {
    boolean dirty = false;
    for (Throwable t = error; t != null && !dirty; t = t.getCause() == t ? null : t.getCause()) {
      dirty = containsSecret(t.getMessage());
    }
    return dirty ? copy(error, 0) : error;
  }

  private static Throwable copy(Throwable t, int depth) {
    Throwable cause =
        t.getCause() != null && t.getCause() != t && depth < 20
            ? copy(t.getCause(), depth + 1)
            : null;
    Throwable out =
        new Redacted(t.getClass().getName() + ": " + redact(String.valueOf(t.getMessage())), cause);
    out.setStackTrace(t.getStackTrace());
    return out;
  }

  /** A throwable whose message had a secret in it, masked. */
  static final class Redacted extends RuntimeException {
    Redacted(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Forgets every secret (tests that configure their own). */
  public static void clear() {
    SECRETS.clear();
  }
}
