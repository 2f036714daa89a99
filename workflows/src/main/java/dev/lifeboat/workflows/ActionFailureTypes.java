package dev.lifeboat.workflows;

/** Failure types shared by workflows and activities. */
public final class ActionFailureTypes {
  /** Bad input: retrying cannot fix it. */
  public static final String INVALID_ARGUMENT = "InvalidArgument";

  /** The action ran and found the state wrong (empty source, digest mismatch, refused restore). */
  public static final String CHECK_FAILED = "CheckFailed";

  private ActionFailureTypes() {}
}
