package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where other file systems are mounted, which a clean restore must not empty: emptying a tmpfs
 * mounted inside the target deleted its files, then failed on the mount point ("Device or resource
 * busy") with nothing restored. Two signs, as neither is enough alone: an entry on another device
 * than its folder, and a mount point the kernel lists (a bind mount of the same file system keeps
 * its device). Tests give their own devices and table.
 */
class Mounts {
  static final Mounts SYSTEM = new Mounts(Path.of("/proc/self/mountinfo"));

  private final Path mountinfo;

  Mounts(Path mountinfo) {
    this.mountinfo = mountinfo;
  }

  /** The device {@code p} itself is on (a link's own, not its target's). */
  Object device(Path p) throws IOException {
    return Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * The mount points the kernel lists strictly inside {@code real} (a real path); none where there
   * is no table to read (not Linux).
   */
  List<Path> listedInside(Path real) throws IOException {
    if (!Files.isReadable(mountinfo)) {
      return List.of();
    }
    List<Path> inside = new ArrayList<>();
    try (var lines = Files.lines(mountinfo, StandardCharsets.UTF_8)) {
      lines.forEach(
          line -> {
            // id parent major:minor root mount-point options ...
            String[] fields = line.split(" ");
            if (fields.length > 4) {
              Path at = Path.of(unescape(fields[4]));
              if (at.startsWith(real) && !at.equals(real)) {
                inside.add(at);
              }
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return inside;
  }

  /** The kernel writes a space, tab, newline and backslash in a mount point as \ooo octal. */
  static String unescape(String field) {
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\'
          && i + 3 < field.length()
          && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
