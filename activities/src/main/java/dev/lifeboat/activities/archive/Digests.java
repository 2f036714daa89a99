package dev.lifeboat.activities.archive;

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

  static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest);
  }
}
