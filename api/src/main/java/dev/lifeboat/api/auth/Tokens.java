package dev.lifeboat.api.auth;

import dev.lifeboat.activities.action.Redactor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API tokens: the single {@code $LIFEBOAT_API_TOKEN} (named {@value #OWNER}, role admin) and
 * the lines {@code name:role:token} of {@code $LIFEBOAT_TOKENS_FILE}. The file is read again when
 * its modification time changes, so rotating a token is editing the file. Only SHA-256 digests are
 * kept, compared in constant time.
 */
public final class Tokens {
  /** The name of the single token from {@code $LIFEBOAT_API_TOKEN}. */
  public static final String OWNER = "owner";

  private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]+");

  /**
   * {@code length}: the token's characters, for the exposure check; the token itself is not kept.
   */
  private record Entry(String name, Role role, byte[] digest, int length) {}

  private final Entry single;
  private final Path file;
  private volatile List<Entry> fromFile = List.of();
  private volatile FileTime fileTime;

  private Tokens(String single, Path file) {
    this.single =
        single.isEmpty() ? null : new Entry(OWNER, Role.ADMIN, digest(single), single.length());
    Redactor.add(single);
    this.file = file;
    if (file != null) {
      // at start a broken file stops Lifeboat; later, a broken edit is logged and fails closed
      this.fromFile = read(file);
      this.fileTime = modified(file);
    }
  }

  /**
   * The tokens the settings name; throws IllegalArgumentException naming the file and line when the
   * file is bad.
   */
  public static Tokens from(AuthSettings settings) {
    return new Tokens(
        settings.getToken(),
        settings.getTokensFile().isEmpty() ? null : Path.of(settings.getTokensFile()));
  }

  /**
   * Whether any token is configured: then every call must present one. Never false again once true.
   */
  public boolean configured() {
    return single != null || file != null;
  }

  /** Characters of the shortest token configured now; {@code Integer.MAX_VALUE} for none. */
  public int shortest() {
    return all().stream().mapToInt(Entry::length).min().orElse(Integer.MAX_VALUE);
  }

  /** The caller a presented token belongs to. */
  public Optional<Caller> find(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    return findDigest(digest(presented));
  }

  /**
   * The caller whose token has this digest (sessions hold digests, so a removed token ends its
   * sessions).
   */
  Optional<Caller> findDigest(byte[] presented) {
    Entry match = null;
    // look at every entry: the time taken does not tell how many tokens were tried or which matched
    for (Entry e : all()) {
      if (MessageDigest.isEqual(e.digest(), presented) && match == null) {
        match = e;
      }
    }
    return match == null ? Optional.empty() : Optional.of(new Caller(match.name(), match.role()));
  }

  private List<Entry> all() {
    List<Entry> out = new ArrayList<>(refreshed());
    if (single != null) {
      out.add(single);
    }
    return out;
  }

  private List<Entry> refreshed() {
    if (file == null) {
      return List.of();
    }
    FileTime now = modified(file);
    if (now != null && !now.equals(fileTime)) {
      synchronized (this) {
        if (!now.equals(fileTime)) {
          try {
            fromFile = read(file);
            LOG.info("tokens file {} read again: {} tokens", file, fromFile.size());
          } catch (IllegalArgumentException e) {
            fromFile = List.of();
            LOG.error(
                "tokens file changed and is now invalid, its tokens are refused until it is fixed: {}",
                e.getMessage());
          }
          fileTime = now;
        }
      }
    } else if (now == null && fileTime != null) {
      fromFile = List.of();
      fileTime = null;
      LOG.error("tokens file {} is gone: its tokens are refused", file);
    }
    return fromFile;
  }

  private static List<Entry> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "tokens file " + file + " cannot be read: " + e.getMessage());
    }
    List<Entry> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> secrets = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = file + ":" + (i + 1);
      String[] parts = line.split(":", 3);
      if (parts.length != 3 || parts[2].isEmpty()) {
        throw new IllegalArgumentException(where + ": expected name:role:token");
      }
      String name = parts[0].strip();
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            where + ": token name '" + name + "' may use only A-Z a-z 0-9 . _ @ -");
      }
      if (!names.add(name)) {
        throw new IllegalArgumentException(where + ": token name '" + name + "' is used twice");
      }
      if (!secrets.add(parts[2])) {
        throw new IllegalArgumentException(
            where + ": the token of '" + name + "' is the same as an earlier one");
      }
      // a token that reaches an error text or a log line is masked there like every configured
      // secret
      Redactor.add(parts[2]);
      out.add(new Entry(name, Role.parse(parts[1], where), digest(parts[2]), parts[2].length()));
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "tokens file " + file + " holds no token (lines name:role:token)");
    }
    return List.copyOf(out);
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return null;
    }
  }

  static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
