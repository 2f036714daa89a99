package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Manifest times read and write exactly as the time module's ISO form, only faster. */
class IsoInstantsTest {
  record Stamped(Instant at) {}

  @Test
  void writesWhatIsoInstantWrites() {
    SplittableRandom r = new SplittableRandom(12);
    Instant min = Instant.parse("0000-01-01T00:00:00Z");
    Instant max = Instant.parse("9999-12-31T23:59:59.999999999Z");
    for (int i = 0; i < 20_000; i++) {
      long seconds = r.nextLong(min.getEpochSecond(), max.getEpochSecond() + 1);
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> r.nextInt(1000) * 1_000_000;
            case 2 -> r.nextInt(1_000_000) * 1_000;
            default -> r.nextInt(1_000_000_000);
          };
      Instant t = Instant.ofEpochSecond(seconds, nanos);
      String iso = DateTimeFormatter.ISO_INSTANT.format(t);
      assertThat(IsoInstants.format(t)).as("%s", iso).isEqualTo(iso);
      assertThat(IsoInstants.parse(iso)).isEqualTo(t);
    }
  }

  @Test
  void theUnusualFormsAreLeftToIsoInstant() {
    for (String s :
        new String[] {
          "1990-12-31T23:59:60Z", // a leap second
          "+10000-01-01T00:00:00Z",
          "-0001-06-01T12:00:00Z",
          "2024-02-29t10:00:00z",
          "2024-05-01T12:00:00.5Z",
          "2024-05-01T24:00:00Z", // the end of the day
          "2024-05-01T12:00:00.Z",
          "2024-05-01T12:00:00.123456789Z"
        }) {
      assertThat(IsoInstants.parse(s))
          .as(s)
          .isEqualTo(DateTimeFormatter.ISO_INSTANT.parse(s, Instant::from));
    }
    Instant far = Instant.parse("+12000-01-01T00:00:00Z");
    assertThat(IsoInstants.format(far)).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(far));
  }

  @Test
  void badTimesAreRefusedAsBefore() {
    for (String s :
        new String[] {
          "2024-13-01T00:00:00Z",
          "2024-02-30T00:00:00Z",
          "2024-05-01T12:00:00.1234567890Z",
          "2024-05-01 12:00:00Z",
          "2024-05-01T12:00:0xZ",
          "--help",
          "${jndi:ldap://x}"
        }) {
      assertThatThrownBy(() -> IsoInstants.parse(s)).as(s).isInstanceOf(RuntimeException.class);
      assertThatThrownBy(() -> Json.MAPPER.readValue("{\"at\":\"" + s + "\"}", Stamped.class))
          .as(s)
          .isInstanceOf(InvalidFormatException.class)
          .hasMessageContaining(s);
    }
  }

  @Test
  void theArchiveMapperUsesThem() throws Exception {
    Instant t = Instant.parse("2026-11-29T19:38:11.250Z");
    String json = Json.COMPACT.writeValueAsString(new Stamped(t));
    assertThat(json).isEqualTo("{\"at\":\"2026-11-29T19:38:11.250Z\"}");
    assertThat(Json.MAPPER.readValue(json, Stamped.class).at()).isEqualTo(t);
    // numbers, as the time module reads them
    assertThat(Json.MAPPER.readValue("{\"at\":1700000000.5}", Stamped.class).at())
        .isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 500_000_000));
  }
}
