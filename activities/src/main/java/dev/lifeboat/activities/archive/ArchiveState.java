package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * The one record of what is known about an archive, kept in {@code <stem>.state.json} beside it:
 * not yet checked, checked and intact (when, by what), or damaged (with the error). Every view
 * reads it.
 *
 * @param by what set the state: {@code backup}, {@code verify}, {@code restore-drill}, {@code
 *     restore}, ...
 * @param error why the archive is damaged; null otherwise
 * @param manifestSha256 for a verified archive, the SHA-256 of the manifest file that was checked:
 *     a manifest changed since (rot, an edit) is not the one verified, and is not reused from
 * @param archiveModified for a verified archive, the file's modified time when the check began: an
 *     archive written to since (a flipped byte, a copy over it) is not the one verified
 */
@com.fasterxml.jackson.annotation.JsonInclude(
    com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record ArchiveState(
    State state,
    Instant at,
    String by,
    String error,
    String manifestSha256,
    Instant archiveModified) {
  public ArchiveState(State state, Instant at, String by, String error) {
    this(state, at, by, error, null, null);
  }

  /** The three states an archive can be in. */
  public enum State {
    @JsonProperty("unverified")
    UNVERIFIED,
    @JsonProperty("verified")
    VERIFIED,
    @JsonProperty("damaged")
    DAMAGED;

    /** The lower-case word the JSON, the API and the page use. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static ArchiveState unverified(Instant at, String by) {
    return new ArchiveState(State.UNVERIFIED, at, by, null);
  }

  public static ArchiveState verified(Instant at, String by) {
    return new ArchiveState(State.VERIFIED, at, by, null);
  }

  /**
   * Verified, with the digest of the manifest file the check read and the archive's modified time
   * when it began.
   */
  public static ArchiveState verified(
      Instant at, String by, String manifestSha256, Instant archiveModified) {
    return new ArchiveState(State.VERIFIED, at, by, null, manifestSha256, archiveModified);
  }

  public static ArchiveState damaged(Instant at, String by, String error) {
    return new ArchiveState(State.DAMAGED, at, by, error);
  }

  public boolean isDamaged() {
    return state == State.DAMAGED;
  }

  public boolean isVerified() {
    return state == State.VERIFIED;
  }
}
