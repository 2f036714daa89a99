package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** OpenSSL's SHA-256 gives the JDK's digest however the bytes arrive. */
class NativeSha256Test {
  @Test
  void loadsWhereLibcryptoIsInstalledAndIsWhatArchivesUse() {
    assertThat(NativeSha256.PROBLEM).as("libssl3 is installed (scripts/ensure-tools.sh)").isNull();
    assertThat(Digests.sha256()).isInstanceOf(NativeSha256.class);
  }

  @Test
  void digestsAsTheJdkDoesWhateverThePieces() {
    Random random = new Random(42);
    byte[] data = new byte[3 * 1024 * 1024 + 13];
    random.nextBytes(data);
    for (int len :
        new int[] {0, 1, 55, 56, 63, 64, 65, 4095, 65_536, 65_537, 1 << 20, data.length}) {
      MessageDigest jdk = Digests.jdkSha256();
      MessageDigest ours = new NativeSha256();
      int at = 0;
      while (at < len) {
        int n = Math.min(len - at, 1 + random.nextInt(200_000));
        switch (random.nextInt(5)) {
          case 0 -> ours.update(data, at, n);
          case 1 -> ours.update(ByteBuffer.wrap(data, at, n));
          case 2 -> ours.update(ByteBuffer.wrap(data, at, n).asReadOnlyBuffer());
          case 3 -> {
            // a direct buffer whose bytes start past its position 0
            ByteBuffer direct = ByteBuffer.allocateDirect(n + 7);
            direct.position(7);
            direct.put(data, at, n);
            direct.position(7);
            ours.update(direct);
            assertThat(direct.remaining()).isZero();
          }
          default -> {
            n = 1;
            ours.update(data[at]);
          }
        }
        jdk.update(data, at, n);
        at += n;
      }
      assertThat(Digests.hex(ours.digest()))
          .as("%d bytes", len)
          .isEqualTo(Digests.hex(jdk.digest()));
    }
  }

  @Test
  void digestStartsAfreshAndResetForgets() {
    MessageDigest ours = new NativeSha256();
    byte[] abc = {'a', 'b', 'c'};
    String expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    ours.update(abc);
    assertThat(Digests.hex(ours.digest())).isEqualTo(expected);
    ours.update(abc);
    assertThat(Digests.hex(ours.digest())).isEqualTo(expected);
    ours.update(new byte[1000]);
    ours.reset();
    ours.update(abc);
    assertThat(Digests.hex(ours.digest())).isEqualTo(expected);
    assertThat(ours.getDigestLength()).isEqualTo(32);
    assertThat(ours.getAlgorithm()).isEqualTo("SHA-256");
  }

  @Test
  void oneCallDigestsTheBytesLeftInADirectBuffer() {
    Random random = new Random(7);
    byte[] data = new byte[200_000];
    random.nextBytes(data);
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data);
    for (int len : new int[] {0, 1, 55, 64, 65, 4096, 65_537, data.length - 9}) {
      int at = len == 0 ? 0 : random.nextInt(data.length - len + 1);
      ByteBuffer piece = direct.duplicate().position(at).limit(at + len);
      MessageDigest jdk = Digests.jdkSha256();
      jdk.update(data, at, len);
      assertThat(Digests.hex(NativeSha256.of(piece)))
          .as("%d bytes at %d", len, at)
          .isEqualTo(Digests.hex(jdk.digest()));
      assertThat(piece.position()).isEqualTo(at);
    }
    // an unused digest after a reset is the empty input's
    MessageDigest ours = new NativeSha256();
    ours.reset();
    assertThat(Digests.hex(ours.digest()))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}
