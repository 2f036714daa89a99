package dev.lifeboat.activities.archive;

import dev.lifeboat.activities.action.ActionException;

/**
 * A failed check that came from reading the archive itself (digest mismatch, corrupt gzip, cut
 * short, entries that disagree with the manifest, a missing manifest) as opposed to a refused
 * restore or a bad argument. Whoever catches it marks the archive damaged: see {@link
 * Repository#markDamaged}.
 */
public final class DamagedArchive extends ActionException {
  private final transient ArchiveRef ref;

  DamagedArchive(ArchiveRef ref, String message) {
    // one line: the names it quotes come from the archive
    super(
        dev.lifeboat.workflows.ActionFailureTypes.CHECK_FAILED,
        dev.lifeboat.activities.action.Printable.line(message));
    this.ref = ref;
  }

  public ArchiveRef ref() {
    return ref;
  }

  /**
   * What a failed read of an entry's data means: a decoding failure (bad gzip, CRC, tar) is damage
   * to the archive; anything else (the disk, an interrupt) is returned for the caller to rethrow.
   */
  static java.io.IOException readFailure(ArchiveRef ref, Manifest.Entry e, java.io.IOException ex) {
    if (ArchiveEntries.isOwnStreamFailure(ex)) {
      throw new DamagedArchive(
          ref, "archive " + ref.name() + " is corrupt in entry '" + e.path() + "': " + why(ex));
    }
    return ex;
  }

  /** A decoder's failure in words: an end of input it reports without a message is a cut file. */
  static String why(java.io.IOException ex) {
    if (ex.getMessage() != null && !ex.getMessage().isBlank()) {
      return ex.getMessage();
    }
    return ex instanceof java.io.EOFException
        ? "the data ends early (the archive is truncated)"
        : ex.getClass().getSimpleName();
  }

  /** Fails when the bytes read for an entry are not the ones its manifest recorded. */
  static void checkDigest(ArchiveRef ref, Manifest.Entry e, String sha256) {
    if (!sha256.equals(e.sha256())) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + ": entry '"
              + e.path()
              + "' has sha256 "
              + sha256
              + " but the manifest says "
              + e.sha256());
    }
  }
}
