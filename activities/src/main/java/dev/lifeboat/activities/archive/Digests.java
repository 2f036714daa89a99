package dev.lifeboat.activities.archive;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one digest archives use: OpenSSL's where it loads, else the JDK's. */
final class Digests {
  private Digests() {}

  static MessageDigest sha256() {
    if (NativeSha256.AVAILABLE) {
      return new NativeSha256();
    }
    return jdkSha256();
  }

  static MessageDigest jdkSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /**
   * A buffer to read file bytes into for {@code md}: direct for OpenSSL's digest, which reads it
   * where it is; on the heap for the JDK's, which digests a direct buffer through a 4 KiB copy loop
   * but a heap buffer's array in place.
   */
  static ByteBuffer buffer(MessageDigest md, int capacity) {
    return md instanceof NativeSha256
        ? ByteBuffer.allocateDirect(capacity)
        : ByteBuffer.allocate(capacity);
  }

  static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
