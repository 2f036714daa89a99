package dev.lifeboat.activities.archive;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 from OpenSSL's libcrypto (Debian's {@code libssl3}, through JNA). Its SHA-NI code is as
 * fast as the JDK's intrinsic (~1.7 GB/s a core here), but the JDK's is fast only once the C2
 * compiler has compiled the code around it; until then (the first second or more of a fresh JVM,
 * longer when the machine is busy) every byte digested costs several times as much. Bytes in direct
 * buffers (the archive's write buffers) are digested where they are. Not thread-safe, as no
 * MessageDigest is; not cloneable.
 */
final class NativeSha256 extends MessageDigest {
  private static native int SHA256_Init(Pointer ctx);

  private static native int SHA256_Update(Pointer ctx, Pointer data, long length);

  private static native int SHA256_Final(byte[] digest, Pointer ctx);

  private static native Pointer SHA256(Pointer data, long length, byte[] digest);

  // SHA256_CTX is 112 bytes in OpenSSL 3; room to spare
  private static final int CTX_BYTES = 256;
  private static final int PIECE = 64 * 1024;

  /** Heap bytes are copied through this thread's native buffer on their way to libcrypto. */
  private static final ThreadLocal<ByteBuffer> PIECES =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(PIECE));

  static final boolean AVAILABLE;
  static final String PROBLEM;

  static {
    String problem = NativeLibs.register(NativeSha256.class, "libcrypto.so.3");
    if (problem == null) {
      problem = selfCheck();
    }
    AVAILABLE = problem == null;
    PROBLEM = problem;
    if (!AVAILABLE) {
      LoggerFactory.getLogger(NativeSha256.class)
          .info(
              "OpenSSL's SHA-256 not used ({}): the JDK's is as fast once compiled, slower in a"
                  + " fresh JVM; install the libssl3 package for speed",
              problem);
    }
  }

  private final Memory ctx = new Memory(CTX_BYTES);
  // SHA256_Init is called by the first update after a reset, not by the reset: a digest ends with
  // a reset, and callers reset again before use (one native call a small file less, twice)
  private boolean started;

  NativeSha256() {
    super("SHA-256");
  }

  /**
   * The digest of the bytes left in {@code direct} (a direct buffer, left as it is) in one call,
   * where init, update and final are three: a backup digests most small files so.
   */
  static byte[] of(ByteBuffer direct) {
    byte[] out = new byte[32];
    Pointer at = Native.getDirectBufferPointer(direct).share(direct.position());
    if (SHA256(at, direct.remaining(), out) == null) {
      throw new IllegalStateException("OpenSSL's SHA-256 failed");
    }
    return out;
  }

  private void start() {
    if (!started) {
      check(SHA256_Init(ctx));
      started = true;
    }
  }

  @Override
  protected void engineUpdate(byte input) {
    engineUpdate(new byte[] {input}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    ByteBuffer piece = PIECES.get();
    Pointer address = Native.getDirectBufferPointer(piece);
    start();
    while (len > 0) {
      int n = Math.min(len, PIECE);
      piece.clear();
      piece.put(input, offset, n);
      check(SHA256_Update(ctx, address, n));
      offset += n;
      len -= n;
    }
  }

  @Override
  protected void engineUpdate(ByteBuffer input) {
    if (!input.isDirect()) {
      super.engineUpdate(input);
      return;
    }
    int n = input.remaining();
    if (n > 0) {
      start();
      check(SHA256_Update(ctx, Native.getDirectBufferPointer(input).share(input.position()), n));
      input.position(input.limit());
    }
  }

  @Override
  protected byte[] engineDigest() {
    byte[] out = new byte[32];
    start();
    check(SHA256_Final(out, ctx));
    started = false;
    return out;
  }

  @Override
  protected void engineReset() {
    started = false;
  }

  @Override
  protected int engineGetDigestLength() {
    return 32;
  }

  private static void check(int ok) {
    if (ok != 1) {
      throw new IllegalStateException("OpenSSL's SHA-256 failed");
    }
  }

  /**
   * Null when libcrypto's digests of a few inputs (across the piece boundary) are the known ones;
   * otherwise why not. Known answers, not the JDK's digest: that ran ~200 KB through the JDK's
   * SHA-256 interpreted, on the way to every fresh JVM's first backup.
   */
  private static String selfCheck() {
    try {
      byte[] data = new byte[PIECE * 2 + 17];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (i * 31 + 7);
      }
      int[] lengths = {0, 3, 64, PIECE, data.length};
      String[] known = {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "647674a296197442f518bcca323ec605dd8d098b2d4f22ee1fdcdd2bb753a189",
        "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd",
        "ef4636928161808e87035fa51983821677527ccd9661991c5d0126a778b2268a",
        "cb2bec437273bfd382dc605cc0b2dec0e1ce8787fce730ade66f37333798be3f"
      };
      NativeSha256 ours = new NativeSha256();
      ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
      for (int i = 0; i < lengths.length; i++) {
        ours.update(data, 0, lengths[i]);
        if (!Digests.hex(ours.digest()).equals(known[i])
            || !Digests.hex(of(direct.duplicate().limit(lengths[i]))).equals(known[i])) {
          return "libcrypto's SHA-256 of " + lengths[i] + " bytes is not SHA-256's";
        }
      }
      return null;
    } catch (Throwable e) {
      return e.toString();
    }
  }
}
