package dev.lifeboat.api.cli;

/** Carries a CLI command's non-zero exit code out of Dropwizard's command runner. */
public final class CliExit extends RuntimeException {
  private final int code;

  CliExit(int code) {
    super("exit " + code, null, false, false);
    this.code = code;
  }

  public int code() {
    return code;
  }
}
