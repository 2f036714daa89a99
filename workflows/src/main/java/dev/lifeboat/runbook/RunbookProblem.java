package dev.lifeboat.runbook;

/** A runbook file that cannot be used, with where and why, in words a runbook author can act on. */
public final class RunbookProblem extends RuntimeException {
  private final String file;
  private final int line;
  private final String reason;

  public RunbookProblem(String file, int line, String reason) {
    super(file + (line > 0 ? ":" + line : "") + ": " + reason);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }

  public String file() {
    return file;
  }

  /** 1-based line, 0 when the problem concerns the whole file. */
  public int line() {
    return line;
  }

  public String reason() {
    return reason;
  }
}
