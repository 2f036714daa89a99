package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Archive names are the formatter's text, written without the formatter where it can be. */
class ArchiveNamesTest {
  @Test
  void stampsAreTheFormattersText() {
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 10_000; i++) {
      // years 0 to 9999 and a little beyond, any second and fraction
      long second = random.nextLong() % 320_000_000_000L - 62_200_000_000L;
      Instant at = Instant.ofEpochSecond(second, random.nextInt(1_000_000_000));
      assertThat(ArchiveNames.stamp(at)).as(at.toString()).isEqualTo(ArchiveNames.STAMP.format(at));
    }
    for (String t :
        new String[] {
          "0000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59.999999999Z",
          "2024-02-29T12:34:56Z", "9999-12-31T23:59:59Z", "+10000-01-01T00:00:00Z",
          "-0001-12-31T23:59:59Z"
        }) {
      Instant at = Instant.parse(t);
      assertThat(ArchiveNames.stamp(at)).as(t).isEqualTo(ArchiveNames.STAMP.format(at));
    }
    assertThat(ArchiveNames.archiveName(Instant.parse("2024-03-01T10:15:30.5Z")))
        .isEqualTo("20240301T101530Z.tar.gz");
  }
}
