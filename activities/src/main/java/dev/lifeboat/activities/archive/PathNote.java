package dev.lifeboat.activities.archive;

/**
 * A path of a backup source and what happened to it: why it was skipped, or how it changed while
 * read.
 */
public record PathNote(String path, String reason) {
  /**
   * Whether a skipped entry is out because it could not be read (denied, an I/O error, gone between
   * the scan and the read, a name this JVM cannot open), not by design (a socket, fifo or device,
   * the repository itself, a name another file holds): only those leave an archive short of its
   * source. Told by the reason's words, which {@link SourceScan#reason} gives every such entry.
   */
  public boolean unreadable() {
    return reason.startsWith(SourceScan.UNREADABLE)
        || reason.startsWith(SourceScan.VANISHED)
        || reason.startsWith(SourceScan.UNNAMEABLE);
  }

  /**
   * Whether a file changed while read is in the archive padded with zeros it never held: it shrank
   * (GNU tar pads the same way). Its copy is not the file, which the step's warning says.
   */
  public boolean padded() {
    return reason.startsWith(SourceScan.SHRANK);
  }

  /**
   * "1 file shrank while read and ends in zeros it never held in" and the plural, for the warning.
   */
  public static String paddedIn(long padded) {
    return padded == 1
        ? "1 file shrank while read and ends in zeros it never held in"
        : padded + " files shrank while read and end in zeros they never held in";
  }

  /**
   * "1 entry could not be read and is NOT in" / "N entries could not be read and are NOT in", for
   * the step's warning and the health check to say of an archive in the same words.
   */
  public static String notIn(long unreadable) {
    return unreadable == 1
        ? "1 entry could not be read and is NOT in"
        : unreadable + " entries could not be read and are NOT in";
  }
}
