package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes the state record of an archive ({@code <stem>.state.json}). A missing record
 * reads as unverified, except for archives verified before state records existed: their {@code
 * .verified.json} counts as verified while its checksum matches the manifest. New code writes only
 * the state record.
 */
final class ArchiveStates {
  private static final Logger LOG = LoggerFactory.getLogger(ArchiveStates.class);

  private ArchiveStates() {}

  /** The sidecar verifies left before state records existed; read for compatibility only. */
  record Verified(Instant verifiedAt, long entries, long files, long bytes, String archiveSha256) {}

  /**
   * The archive's state; {@code m} is its manifest (null when it cannot be read: then it is
   * damaged).
   */
  static ArchiveState read(ArchiveRef ref, Manifest m, String manifestError) {
    if (m == null) {
      return ArchiveState.damaged(null, "list", manifestError);
    }
    ArchiveState s = recorded(ref);
    return s != null ? s : legacyVerified(ref, m);
  }

  /** The archive's state file, null when there is none or it cannot be read. */
  static ArchiveState recorded(ArchiveRef ref) {
    if (Files.isRegularFile(ref.statePath())) {
      try {
        ArchiveState s = Json.MAPPER.readValue(ref.statePath().toFile(), ArchiveState.class);
        if (s.state() != null) {
          return s;
        }
      } catch (IOException e) {
        // an unreadable record says nothing about the archive: fall through to what else is known
      }
    }
    return null;
  }

  /** The SHA-256 of the archive's manifest file as it is now; null when it cannot be read. */
  static String manifestDigest(ArchiveRef ref) {
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(ref.manifestPath())) {
      return Checker.digestFile(ch, ch.size());
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Why the archive's manifest is not the one its verify checked (the digest recorded then differs
   * from the file's now); null when it is, or when no digest was recorded (older verifies).
   */
  static String manifestChangedSinceVerify(ArchiveRef ref) {
    return manifestChangedSinceVerify(ref, () -> manifestDigest(ref));
  }

  /** As {@link #manifestChangedSinceVerify(ArchiveRef)}, for a manifest digest just taken. */
  static String manifestChangedSinceVerify(ArchiveRef ref, String now) {
    return manifestChangedSinceVerify(ref, () -> now);
  }

  // the digest is taken only where a verify recorded one to compare it with
  private static String manifestChangedSinceVerify(
      ArchiveRef ref, java.util.function.Supplier<String> digest) {
    ArchiveState s = recorded(ref);
    if (s == null || !s.isVerified() || s.manifestSha256() == null) {
      return null;
    }
    String now = digest.get();
    if (s.manifestSha256().equals(now)) {
      return null;
    }
    return "its manifest "
        + ref.manifestPath()
        + " changed after the archive was verified"
        + (s.at() == null ? "" : " at " + s.at())
        + " (SHA-256 then "
        + s.manifestSha256()
        + ", now "
        + now
        + ")";
  }

  /** See {@link Repository#markDamaged}. */
  static void markDamaged(Catalog catalog, ArchiveRef ref, Instant at, String by, String error) {
    try {
      write(ref, ArchiveState.damaged(at, by, error));
      LOG.warn("archive {} is damaged ({}): {}", ref.path(), by, error);
      catalog.moveLatestOff(ref);
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not record archive {} as damaged: {}", ref.path(), e.toString());
    }
  }

  static void write(ArchiveRef ref, ArchiveState state) throws IOException {
    RepositoryFiles.writeAtomically(ref.statePath(), Json.MAPPER.writeValueAsBytes(state));
  }

  private static ArchiveState legacyVerified(ArchiveRef ref, Manifest m) {
    try {
      Verified v = Json.MAPPER.readValue(ref.verifiedPath().toFile(), Verified.class);
      if (m.archiveSha256() != null && m.archiveSha256().equals(v.archiveSha256())) {
        return ArchiveState.verified(v.verifiedAt(), "verify");
      }
    } catch (IOException e) {
      // no (readable) legacy record
    }
    return ArchiveState.unverified(m.created() == null ? Instant.EPOCH : m.created(), "backup");
  }
}
