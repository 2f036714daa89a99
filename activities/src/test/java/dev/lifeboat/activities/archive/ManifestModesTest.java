package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.archive.Manifest.Entry;
import dev.lifeboat.activities.archive.Manifest.EntryType;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Modes are shared strings in memory and read back exactly as written, odd ones included. */
class ManifestModesTest {
  private static Entry read(String mode) throws Exception {
    String json =
        "{\"path\":\"a\",\"type\":\"file\",\"mode\":\""
            + mode
            + "\",\"mtime\":\"2026-01-01T00:00:00Z\",\"size\":1,\"tarOffset\":0,"
            + "\"memberOffset\":0,\"memberLength\":1}";
    return Json.MAPPER.readValue(json, Entry.class);
  }

  @Test
  void aParsedModeIsTheSharedStringOfItsBits() throws Exception {
    for (int bits : new int[] {0, 0644, 0755, 04755, 07777}) {
      Entry e = read(String.format("%04o", bits));
      assertThat(e.mode()).isSameAs(Manifest.modeText(bits));
      assertThat(e.modeBits()).isEqualTo(bits);
    }
    assertThat(Manifest.modeText(0100644)).as("type bits are not part of it").isEqualTo("0644");
  }

  @Test
  void everyModeIsFourOctalDigits() {
    for (int bits = 0; bits <= 07777; bits++) {
      assertThat(Manifest.modeText(bits)).isEqualTo(String.format("%04o", bits));
    }
  }

  @Test
  void modesThatAreNotFourOctalDigitsStayAsWrittenAndFailWhereTheyAlwaysDid() throws Exception {
    assertThat(read("644").mode()).isEqualTo("644");
    assertThat(read("0648").mode()).isEqualTo("0648");
    assertThatThrownBy(() -> read("0648").modeBits()).isInstanceOf(NumberFormatException.class);
    assertThat(read("x644").mode()).isEqualTo("x644");
    Entry none = new Entry("b", EntryType.DIR, null, Instant.EPOCH, 0, null, null, 0, 0, 1);
    assertThat(none.mode()).isNull();
  }
}
