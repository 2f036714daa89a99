package dev.lifeboat.worker;

/**
 * Where Temporal is. A blank {@code address} means embedded: an in-process Temporal test server on
 * a local port, with state in memory only.
 *
 * @param embeddedPort port for the embedded server; 0 picks a free one
 */
public record TemporalSettings(String address, String namespace, int embeddedPort) {
  public TemporalSettings {
    address = address == null ? "" : address.trim();
    namespace = namespace == null || namespace.isBlank() ? "default" : namespace.trim();
  }

  public static TemporalSettings embedded() {
    return new TemporalSettings("", "default", 0);
  }

  public boolean isEmbedded() {
    return address.isEmpty();
  }
}
