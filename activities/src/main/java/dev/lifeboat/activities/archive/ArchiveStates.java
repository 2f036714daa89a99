package dev.lifeboat.activities.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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
   * damaged). A state file that cannot be read counts as unverified and says so in {@code error}.
   */
  static ArchiveState read(ArchiveRef ref, Manifest m, String manifestError) {
    return read(ref, m, manifestError, () -> modified(ref));
  }

  /**
   * As {@link #read(ArchiveRef, Manifest, String)}, with the archive's modified time as a listing
   * that stats the file anyway has it; asked for only where a verify recorded one to compare.
   */
  static ArchiveState read(
      ArchiveRef ref,
      Manifest m,
      String manifestError,
      java.util.function.Supplier<Instant> modified) {
    if (m == null) {
      return ArchiveState.damaged(null, "list", manifestError);
    }
    Recorded r = record(ref);
    if (r.problem() != null) {
      // not the legacy record either: what the newer one said is unknown, and could be damaged
      return new ArchiveState(
          ArchiveState.State.UNVERIFIED,
          null,
          "list",
          "state record "
              + ref.statePath()
              + " cannot be read ("
              + r.problem()
              + "): the archive counts as unverified until a verify rewrites it");
    }
    if (r.state() == null) {
      return legacyVerified(ref, m);
    }
    String changed = archiveChangedSinceVerify(ref, r.state(), modified);
    return changed == null
        ? r.state()
        : new ArchiveState(ArchiveState.State.UNVERIFIED, r.state().at(), "list", changed);
  }

  /** The archive file's modified time, to the precision the filesystem keeps; null if unknown. */
  static Instant modified(ArchiveRef ref) {
    try {
      return Files.getLastModifiedTime(ref.path()).toInstant();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Why a verified archive is not the file its verify read (written to since: rot by a tool, a
   * flipped byte, a copy over it), or null. Lifeboat never writes to a published archive, and a
   * prune deletes older archives on the word of the newest verified one, so such an archive counts
   * as unverified until a verify reads it again. Records from before the modified time was kept are
   * taken as they are.
   */
  private static String archiveChangedSinceVerify(
      ArchiveRef ref, ArchiveState s, java.util.function.Supplier<Instant> modified) {
    if (!s.isVerified() || s.archiveModified() == null) {
      return null;
    }
    Instant now = modified.get();
    if (s.archiveModified().equals(now)) {
      return null;
    }
    return "archive "
        + ref.name()
        + " changed on disk after its verify"
        + (s.at() == null ? "" : " at " + s.at())
        + " (modified then "
        + s.archiveModified()
        + ", now "
        + now
        + "): it counts as unverified until a verify reads it again";
  }

  /** The archive's state file, null when there is none or it cannot be read. */
  static ArchiveState recorded(ArchiveRef ref) {
    return record(ref).state();
  }

  /**
   * What the state file holds: its state, or why it cannot be read ({@code problem}); both null
   * when there is none.
   */
  record Recorded(ArchiveState state, String problem) {}

  static Recorded record(ArchiveRef ref) {
    Path p = ref.statePath();
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Recorded(null, null);
    }
    try {
      // Lifeboat's are a few hundred bytes; a large one is read as a stream
      byte[] bytes = Files.size(p) <= 64 * 1024 ? Files.readAllBytes(p) : null;
      ArchiveState s = bytes == null ? null : fast(bytes);
      if (s == null) {
        // the binder decides anything else, with its own error for what is wrong
        s =
            bytes == null
                ? Json.MAPPER.readValue(p.toFile(), ArchiveState.class)
                : Json.MAPPER.readValue(bytes, ArchiveState.class);
      }
      if (s == null || s.state() == null) {
        return new Recorded(null, "it records no state");
      }
      return new Recorded(s, null);
    } catch (IOException e) {
      // a torn write on a disk that lost its cache, rot, an edit: said, never taken for a state
      return new Recorded(null, ManifestCheck.readFailure(e));
    }
  }

  // a parser without the data binder: a fresh JVM built the binder (~0.15 s) to read the first
  // state, on the way to an incremental backup's first copied byte
  private static final com.fasterxml.jackson.core.JsonFactory STATES =
      new com.fasterxml.jackson.core.JsonFactory();

  /**
   * A state file as Lifeboat writes it (an object of known fields, each a string or null, times as
   * it writes them), read token by token; null for anything else, which the binder reads.
   */
  static ArchiveState fast(byte[] json) {
    try (com.fasterxml.jackson.core.JsonParser p = STATES.createParser(json)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        return null;
      }
      String[] v = new String[FIELDS.size()];
      boolean[] seen = new boolean[FIELDS.size() + DERIVED.size()];
      com.fasterxml.jackson.core.JsonToken t;
      while ((t = p.nextToken()) == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        int i = FIELDS.indexOf(p.currentName());
        int derived = DERIVED.indexOf(p.currentName());
        t = p.nextToken();
        if (derived >= 0 && !seen[FIELDS.size() + derived] && t.isBoolean()) {
          // written for readers of the file, read by no one
          seen[FIELDS.size() + derived] = true;
          continue;
        }
        if (i < 0 || seen[i]) {
          return null;
        }
        seen[i] = true;
        if (t == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
          v[i] = p.getText();
        } else if (t != com.fasterxml.jackson.core.JsonToken.VALUE_NULL) {
          return null;
        }
      }
      if (t != com.fasterxml.jackson.core.JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
      ArchiveState.State state = null;
      if (v[0] != null) {
        for (ArchiveState.State candidate : ArchiveState.State.values()) {
          if (candidate.word().equals(v[0])) {
            state = candidate;
          }
        }
        if (state == null) {
          return null;
        }
      }
      Instant at = v[1] == null ? null : IsoInstants.parsePlain(v[1]);
      Instant modified = v[5] == null ? null : IsoInstants.parsePlain(v[5]);
      if (v[1] != null && at == null || v[5] != null && modified == null) {
        return null;
      }
      return new ArchiveState(state, at, v[2], v[3], v[4], modified);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static final List<String> FIELDS =
      List.of("state", "at", "by", "error", "manifestSha256", "archiveModified");

  // what ArchiveState's isVerified and isDamaged add to the file
  private static final List<String> DERIVED = List.of("verified", "damaged");

  /**
   * Why the sidecars of an archive whose file is gone are the record of a backup that existed, or
   * null when they are what a writer that died or a prune left. A backup creates the archive's
   * partial file first, then writes the manifest and the state ({@code unverified}) and renames the
   * partial file into place last; whoever removes an unfinished write removes the partial file last
   * (a fetch publishes the same way). A prune writes {@code <stem>.pruned} before it deletes
   * anything. So sidecars beside neither were an archive's that was published and lost: deleted by
   * hand, a disk error, a sync tool. The one exception is a state record that says damaged: the
   * docs tell users to delete damaged archives by hand. Older versions left a manifest without a
   * state record when a prune or fetch stopped halfway, and kept no state for fetched archives:
   * those cannot be told apart, and the record is kept.
   */
  static String lostBackup(ArchiveRef ref) {
    Path dir = ref.path().getParent();
    if (ArchiveNames.unpublished(dir, ref.stem())
        || Files.exists(ref.prunedPath(), LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    Recorded r = record(ref);
    if (r.state() != null && r.state().isVerified()) {
      return "it was verified"
          + (r.state().at() == null ? "" : " at " + r.state().at())
          + (r.state().by() == null ? "" : " by " + r.state().by());
    }
    if (r.problem() != null) {
      return "its state record " + ref.statePath() + " cannot be read (" + r.problem() + ")";
    }
    if (Files.exists(ref.pinPath(), LinkOption.NOFOLLOW_LINKS)) {
      return "it is pinned";
    }
    if (r.state() == null && Files.isRegularFile(ref.verifiedPath())) {
      return "it was verified (" + ref.verifiedPath() + ")";
    }
    if (r.state() != null) {
      // unverified: written just before the rename, and no partial file is left, so it was done
      return r.state().isDamaged()
          ? null
          : "it was published"
              + (r.state().by() == null ? "" : " by " + r.state().by())
              + (r.state().at() == null ? "" : " at " + r.state().at())
              + " and not verified yet";
    }
    if (Files.exists(ref.manifestPath(), LinkOption.NOFOLLOW_LINKS)) {
      return "its manifest is there without a state record: fetched or written by an older version";
    }
    if (Files.exists(ref.drillPath(), LinkOption.NOFOLLOW_LINKS)) {
      return "its restore drill record " + ref.drillPath() + " is there";
    }
    return null;
  }

  /** The SHA-256 of the archive's manifest file as it is now; null when it cannot be read. */
  static String manifestDigest(ArchiveRef ref) {
    try {
      return Checker.digestFile(ref.manifestPath());
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
    RepositoryFiles.writeAtomically(ref.statePath(), JsonOut.state(state));
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
