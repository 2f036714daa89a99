package dev.lifeboat.activities.action;

import dev.lifeboat.workflows.ActionFailureTypes;

/**
 * A failure a human must act on, carrying the words they need. Not retried: retrying cannot fix a
 * wrong argument, an empty source or a corrupt archive.
 */
public class ActionException extends RuntimeException {
  private final String type;

  // messages reach the run's JSON, the log, a terminal and Temporal's history: configured secrets
  // never do, nor control characters from the names they quote
  public ActionException(String type, String message) {
    super(Printable.text(Redactor.redact(message)));
    this.type = type;
  }

  public ActionException(String type, String message, Throwable cause) {
    super(Printable.text(Redactor.redact(message)), cause);
    this.type = type;
  }

  public String type() {
    return type;
  }

  /** A wrong or missing argument, or a reference to something that does not exist. */
  public static ActionException invalid(String message) {
    return new ActionException(ActionFailureTypes.INVALID_ARGUMENT, message);
  }

  /** The action ran and found the state wrong: empty source, digest mismatch, refused restore. */
  public static ActionException check(String message) {
    return new ActionException(ActionFailureTypes.CHECK_FAILED, message);
  }
}
