package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A change to the repository (a pin, an unpin) asked of a process that may only read it: the API
 * server of the shipped manifests mounts the repository read-only and leaves writing to the worker.
 * Retrying here cannot help; the message says where the change can be made.
 */
public final class ReadOnlyRepository extends ActionException {
  private ReadOnlyRepository(String message, Throwable cause) {
    super(dev.lifeboat.workflows.ActionFailureTypes.CHECK_FAILED, message, cause);
  }

  /**
   * Throws this failure in place of {@code e} when {@code e} came from a folder this process cannot
   * write to (a read-only mount, no write permission, an immutable folder); otherwise returns, and
   * the caller rethrows {@code e}. The folder is asked, not the message: a read-only mount, a
   * missing permission and an immutable flag each have their own error text, and a root process
   * ignores permissions.
   */
  static void throwIfSo(ArchiveRef ref, String change, IOException e) {
    Path dir = ref.path().getParent();
    if (!(e instanceof FileSystemException) || dir == null || Files.isWritable(dir)) {
      return;
    }
    throw new ReadOnlyRepository(
        "cannot "
            + change
            + " "
            + ref.set()
            + "/"
            + ref.source()
            + "/"
            + ref.name()
            + ": the repository is read-only here (this server may only list and download"
            + " archives). "
            + capitalized(change)
            + " it where the repository is mounted writable: a Lifeboat server that runs the"
            + " worker, or by hand "
            + (change.equals("pin")
                ? "(an empty file " + ref.pinPath().getFileName() + " beside the archive pins it)"
                : "(delete " + ref.pinPath().getFileName() + " beside the archive)"),
        e);
  }

  private static String capitalized(String word) {
    return Character.toUpperCase(word.charAt(0)) + word.substring(1);
  }
}
