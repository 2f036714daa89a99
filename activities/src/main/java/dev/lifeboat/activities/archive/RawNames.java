package dev.lifeboat.activities.archive;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.charset.spi.CharsetProvider;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;

/**
 * File names whose bytes are not UTF-8 (written by an old Latin-1 system, or copied off a Windows
 * share). Java turns each such byte into U+FFFD, so two names could become one and none could be
 * created again. The archive holds them with each such byte written as {@code %XX} instead: a name
 * a restore can create and the user can find and rename.
 */
public final class RawNames {
  private RawNames() {}

  /**
   * The encoding this JVM reads and writes file names in, taken from the locale at start: under
   * C/POSIX it is ASCII and every other name is out of its reach.
   */
  public static final String FILE_NAME_ENCODING = System.getProperty("sun.jnu.encoding", "");

  public static boolean fileNamesAreUtf8() {
    return FILE_NAME_ENCODING.equalsIgnoreCase("UTF-8");
  }

  /** Whether Java's text of a name may have lost bytes: only then are its bytes looked at. */
  static boolean mayBeLossy(String name) {
    return name.indexOf('\uFFFD') >= 0;
  }

  /** The last name of {@code path} as the archive holds it (itself when its bytes are UTF-8). */
  static String escapedName(Path path) {
    return escape(rawLastName(path));
  }

  /** A link's target as the archive holds it, and whether bytes of it had to be escaped. */
  record LinkTarget(String text, boolean escaped) {}

  /**
   * The link's target byte for byte (readlink through libc: a trailing slash and a double one
   * stay), escaped where it is not UTF-8; Java's own reading where libc cannot be asked.
   */
  static LinkTarget linkTarget(Path link) throws java.io.IOException {
    if (LibC.canPass(link)) {
      byte[] buffer = new byte[4096];
      try {
        long n = LibC.readlink(link.toString(), buffer, buffer.length);
        if (n >= 0 && n < buffer.length) {
          byte[] raw = java.util.Arrays.copyOf(buffer, (int) n);
          String text = escape(raw);
          return new LinkTarget(
              text, !java.util.Arrays.equals(text.getBytes(StandardCharsets.UTF_8), raw));
        }
      } catch (com.sun.jna.LastErrorException e) {
        // Java's own call below says what is wrong
      }
    }
    Path target = java.nio.file.Files.readSymbolicLink(link);
    String text = target.toString();
    if (mayBeLossy(text)) {
      String escaped = escapedTarget(target);
      return new LinkTarget(escaped, !escaped.equals(text));
    }
    return new LinkTarget(text, false);
  }

  /** A link target as the archive holds it: every name in it escaped, '/' kept. */
  static String escapedTarget(Path target) {
    StringBuilder s = new StringBuilder(target.isAbsolute() ? "/" : "");
    for (int i = 0; i < target.getNameCount(); i++) {
      if (i > 0) {
        s.append('/');
      }
      Path name = target.getName(i);
      s.append(mayBeLossy(name.toString()) ? escapedName(name) : name.toString());
    }
    return s.toString();
  }

  /**
   * The bytes of the path's last name. A path's URI spells its bytes, not Java's text of them:
   * every byte outside plain ASCII as {@code %XX}.
   */
  static byte[] rawLastName(Path path) {
    String uri = path.toAbsolutePath().toUri().getRawPath();
    int end = uri.endsWith("/") && uri.length() > 1 ? uri.length() - 1 : uri.length();
    int start = uri.lastIndexOf('/', end - 1) + 1;
    ByteBuffer bytes = ByteBuffer.allocate(end - start);
    for (int i = start; i < end; i++) {
      char c = uri.charAt(i);
      if (c == '%' && i + 2 < end) {
        bytes.put((byte) Integer.parseInt(uri.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.put((byte) c);
      }
    }
    byte[] out = new byte[bytes.position()];
    bytes.flip().get(out);
    return out;
  }

  /** UTF-8 text of {@code raw} with each byte that is not part of valid UTF-8 as {@code %XX}. */
  static String escape(byte[] raw) {
    return new String(raw, ESCAPED_UTF_8);
  }

  /**
   * Name of the charset that decodes UTF-8 with stray bytes as {@code %XX}: what tar streams are
   * read with, so their header names come out as {@link #escape} gives them (PAX records are UTF-8
   * by definition and read as such).
   */
  static final String CHARSET = "x-lifeboat-utf-8-escaped";

  static final Charset ESCAPED_UTF_8 = new EscapedUtf8();

  private static final ThreadLocal<int[]> ESCAPED = ThreadLocal.withInitial(() -> new int[1]);

  /** How many bytes this thread's decoding escaped since the last call. */
  static int escapedSinceLastAsked() {
    int[] n = ESCAPED.get();
    int was = n[0];
    n[0] = 0;
    return was;
  }

  /** Makes {@link #CHARSET} known to {@link Charset#forName} (META-INF/services). */
  public static final class Provider extends CharsetProvider {
    @Override
    public Iterator<Charset> charsets() {
      return List.of(ESCAPED_UTF_8).iterator();
    }

    @Override
    public Charset charsetForName(String name) {
      return CHARSET.equalsIgnoreCase(name) ? ESCAPED_UTF_8 : null;
    }
  }

  /** Decodes only, and only whole names: a sequence cut at the end of the input is escaped. */
  private static final class EscapedUtf8 extends Charset {
    EscapedUtf8() {
      super(CHARSET, new String[0]);
    }

    @Override
    public boolean contains(Charset cs) {
      return cs instanceof EscapedUtf8;
    }

    @Override
    public boolean canEncode() {
      return false;
    }

    @Override
    public CharsetEncoder newEncoder() {
      throw new UnsupportedOperationException(CHARSET + " only decodes");
    }

    @Override
    public CharsetDecoder newDecoder() {
      return new CharsetDecoder(this, 1f, 3f) {
        private final CharsetDecoder utf8 =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);

        @Override
        protected CoderResult decodeLoop(ByteBuffer in, CharBuffer out) {
          while (in.hasRemaining()) {
            utf8.reset();
            CoderResult r = utf8.decode(in, out, true);
            if (r.isOverflow()) {
              return r;
            }
            if (!r.isError()) {
              break;
            }
            for (int i = 0; i < r.length(); i++) {
              if (out.remaining() < 3) {
                return CoderResult.OVERFLOW;
              }
              int b = in.get() & 0xff;
              out.put('%').put(HEX[b >> 4]).put(HEX[b & 15]);
              ESCAPED.get()[0]++;
            }
          }
          return CoderResult.UNDERFLOW;
        }
      };
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
