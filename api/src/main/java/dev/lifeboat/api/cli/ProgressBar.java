package dev.lifeboat.api.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One terminal line for a running step: a bar, percent, bytes, rate and ETA, redrawn in place with
 * a carriage return. The rate is smoothed over polls so one slow second does not swing the ETA.
 */
final class ProgressBar {
  private static final int WIDTH = 24;
  private final String step;
  private long lastBytes = -1;
  private long lastNanos;
  private double rate;

  ProgressBar(String step) {
    this.step = step;
  }

  String render(long done, long total, long files, long nowNanos) {
    if (lastBytes >= 0 && nowNanos > lastNanos && done >= lastBytes) {
      double now = (done - lastBytes) * 1e9 / (nowNanos - lastNanos);
      rate = rate == 0 ? now : 0.7 * rate + 0.3 * now;
    }
    lastBytes = done;
    lastNanos = nowNanos;
    StringBuilder line = new StringBuilder("\r  ").append(step).append(' ');
    if (total > 0) {
      int pct = (int) Math.min(100, done * 100 / total);
      int filled = pct * WIDTH / 100;
      line.append('[')
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3d%%", pct))
          .append(' ')
          .append(bytes(done))
          .append('/')
          .append(bytes(total));
    } else {
      line.append(bytes(done)).append(", ").append(files).append(" files");
    }
    if (rate > 0) {
      line.append("  ").append(bytes((long) rate)).append("/s");
      if (total > done) {
        line.append("  ETA ").append(duration((long) ((total - done) / rate)));
      }
    }
    line.append("\033[K"); // erase what a longer previous line left behind
    return line.toString();
  }

  /** Ends the bar's line so the next text starts on a fresh one. */
  static void clear(PrintStream out, boolean terminal) {
    if (terminal) {
      out.print("\r\033[K");
    }
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String duration(long seconds) {
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
