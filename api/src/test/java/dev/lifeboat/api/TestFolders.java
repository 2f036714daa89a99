package dev.lifeboat.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary folders that exist before the application starts (the extension starts in a static
 * field).
 */
final class TestFolders {
  private TestFolders() {}

  static Path temp(String prefix) {
    try {
      Path p = Files.createTempDirectory("lifeboat-" + prefix);
      p.toFile().deleteOnExit();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A runbooks folder holding the given YAML texts, each named after its {@code name:}. */
  static Path runbooks(String prefix, String... yamls) {
    Path dir = temp(prefix);
    try {
      for (String y : yamls) {
        String name =
            y.lines()
                .filter(l -> l.startsWith("name:"))
                .findFirst()
                .orElseThrow()
                .substring(5)
                .trim();
        Files.writeString(dir.resolve(name + ".yaml"), y);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }
}
