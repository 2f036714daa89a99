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
    super(dev.lifeboat.workflows.ActionFailureTypes.CHECK_FAILED, message);
    this.ref = ref;
  }

  public ArchiveRef ref() {
    return ref;
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
