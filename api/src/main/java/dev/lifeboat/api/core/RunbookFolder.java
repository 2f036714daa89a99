package dev.lifeboat.api.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the runbooks are read from: the configured folder when it exists, else the catalogue built
 * into the jar (so the image and a bare {@code java -jar} work without a runbooks folder).
 */
public final class RunbookFolder {
  private static final Logger LOG = LoggerFactory.getLogger(RunbookFolder.class);

  /** The jar's resource folder that the build fills from the repository's runbooks/. */
  static final String BUILT_IN = "runbooks";

  private RunbookFolder() {}

  public static Path resolve(String configured) {
    Path folder = Path.of(configured);
    if (Files.isDirectory(folder)) {
      return folder;
    }
    Path builtIn = builtIn();
    LOG.warn(
        "runbooks folder {} does not exist: using the runbooks built into Lifeboat",
        folder.toAbsolutePath());
    return builtIn;
  }

  /** The built-in catalogue as a path (inside the jar's file system when run from the jar). */
  static Path builtIn() {
    URL url = RunbookFolder.class.getClassLoader().getResource(BUILT_IN);
    if (url == null) {
      throw new IllegalStateException(
          "this build of Lifeboat has no built-in runbooks: set LIFEBOAT_RUNBOOKS");
    }
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try {
          FileSystems.newFileSystem(uri, Map.of());
        } catch (FileSystemAlreadyExistsException e) {
          // opened before (a reload): Path.of finds it
        }
      }
      return Path.of(uri);
    } catch (URISyntaxException | IOException e) {
      throw new UncheckedIOException(
          new IOException("the built-in runbooks cannot be read: " + e.getMessage(), e));
    }
  }
}
