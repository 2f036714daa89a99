package dev.lifeboat.activities.action;

/**
 * Text that carries names from archives, manifests and sources, made safe to print: a crafted name
 * may hold a TAB, NUL, escape sequence or direction override that would forge a log line, recolour
 * a terminal or reorder what a reader sees. Such characters are shown as escapes ({@code \t},
 * {@code \x1b}, {@code \u202e}); everything else, non-ASCII names included, is left as it is.
 */
public final class Printable {
  private Printable() {}

  /** One line: every control character escaped, line breaks too. */
  public static String line(String text) {
    return escape(text, false);
  }

  /** Text whose own line breaks stay (multi-line tool output); other control characters escaped. */
  public static String text(String text) {
    return escape(text, true);
  }

  private static String escape(String text, boolean keepNewlines) {
    if (text == null) {
      return null;
    }
    int i = 0;
    while (i < text.length() && !escaped(text.charAt(i), keepNewlines)) {
      i++;
    }
    if (i == text.length()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, i);
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!escaped(c, keepNewlines)) {
        out.append(c);
      } else if (c == '\t') {
        out.append("\\t");
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c < 0x100) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  private static boolean escaped(char c, boolean keepNewlines) {
    if (c == '\n') {
      return !keepNewlines;
    }
    return c < 0x20
        || (c >= 0x7f && c <= 0x9f)
        // bidirectional embeddings, overrides and isolates, and the marks: they reorder the text
        || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069)
        || c == 0x200e
        || c == 0x200f
        || c == 0x061c;
  }
}
