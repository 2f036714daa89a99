package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Files' digests computed on the digest thread are the digests of their bytes, in order, while the
 * reader refills a few buffers over and over.
 */
class FileDigestsTest {
  @Test
  void digestsOfManyFilesThroughFewBuffersAreTheirBytesDigests() throws Exception {
    Random r = new Random(11);
    Set<byte[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<CompletableFuture<String>> digests = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    try (FileDigests d = new FileDigests()) {
      for (int file = 0; file < 20; file++) {
        byte[] content = new byte[r.nextInt(3 * FileDigests.BUFFER)];
        r.nextBytes(content);
        expected.add(Fixtures.sha256(content));
        MessageDigest md = Digests.sha256();
        for (int at = 0; at < content.length; at += FileDigests.BUFFER) {
          byte[] b = d.buffer();
          seen.add(b);
          int n = Math.min(FileDigests.BUFFER, content.length - at);
          System.arraycopy(content, at, b, 0, n);
          // the buffer comes back for another piece only once these bytes are digested
          d.update(md, b, n);
        }
        digests.add(d.finish(md));
      }
      List<String> got = new ArrayList<>();
      for (CompletableFuture<String> f : digests) {
        got.add(f.join());
      }
      assertThat(got).isEqualTo(expected);
    }
    assertThat(seen).hasSizeLessThanOrEqualTo(4);
  }
}
