package dev.lifeboat.api.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The terminal line of a running step: bar, percent, bytes, rate and ETA from successive polls. */
class ProgressBarTest {
  private static final long MIB = 1 << 20;
  private static final long SECOND = 1_000_000_000L;

  @Test
  void showsPercentBytesRateAndEta() {
    ProgressBar bar = new ProgressBar("restore");
    String first = bar.render(0, 1000 * MIB, 0, 0);
    assertThat(first)
        .startsWith("\r  restore [........................]   0% 0 B/1000.0 MiB")
        .doesNotContain("ETA");
    String second = bar.render(250 * MIB, 1000 * MIB, 10, 5 * SECOND);
    assertThat(second)
        .contains("[######..................]  25% 250.0 MiB/1000.0 MiB")
        .contains("50.0 MiB/s")
        .contains("ETA 0:15")
        .endsWith("\033[K");
  }

  @Test
  void withoutATotalShowsBytesAndFiles() {
    assertThat(new ProgressBar("backup").render(3 * MIB, 0, 42, 0))
        .contains("backup 3.0 MiB, 42 files");
  }

  @Test
  void longEtasHaveHours() {
    assertThat(ProgressBar.duration(3 * 3600 + 61)).isEqualTo("3:01:01");
    assertThat(ProgressBar.bytes(1023)).isEqualTo("1023 B");
  }
}
