package dev.lifeboat.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The embedded Temporal server's gRPC port listens on loopback only: it would let anyone start or
 * end runs.
 */
class EmbeddedTemporalBindTest {
  @Test
  void embeddedServerListensOnLoopbackOnly() throws Exception {
    try (TemporalConnection c = TemporalConnection.open(new TemporalSettings("", "default", 0))) {
      int port = Integer.parseInt(c.target().substring(c.target().lastIndexOf(':') + 1));
      Set<String> listening = listening(port);
      assertThat(listening)
          .as("listening sockets of port " + port)
          .isNotEmpty()
          .allMatch(
              a ->
                  a.equals("0100007F")
                      || a.equals("0000000000000000FFFF00000100007F")
                      || a.equals("00000000000000000000000001000000"));
      // and it serves: the client's own call goes through
      assertThat(
              c.service()
                  .blockingStub()
                  .getSystemInfo(
                      io.temporal.api.workflowservice.v1.GetSystemInfoRequest.getDefaultInstance()))
          .isNotNull();
    }
  }

  /** Local addresses (hex, as /proc/net/tcp shows them) in LISTEN state on this port. */
  private static Set<String> listening(int port) throws Exception {
    Set<String> out = new TreeSet<>();
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      Path p = Path.of(table);
      if (!Files.exists(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p).stream().skip(1).toList()) {
        String[] f = line.trim().split("\\s+");
        String[] local = f[1].split(":");
        if (Integer.parseInt(local[1], 16) == port && f[3].equals("0A")) {
          out.add(local[0]);
        }
      }
    }
    return out;
  }
}
