package dev.lifeboat.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Raw HTTP/1.1 over a socket, for requests java.net.http will not send: paths it will not parse
 * ({@code %}), any Host, Origin or Sec-Fetch-Site header.
 */
final class Http {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Http() {}

  record Reply(int status, Map<String, String> headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError(
            "not JSON (HTTP " + status + ", " + headers.get("content-type") + "): " + body, e);
      }
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Sends one request; headers are "Name: value" lines (a Host header is added unless given). */
  static Reply send(int port, String method, String path, String body, String... headers) {
    StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
    boolean host = false;
    for (String h : headers) {
      host |= h.toLowerCase(Locale.ROOT).startsWith("host:");
      req.append(h).append("\r\n");
    }
    if (!host) {
      req.append("Host: 127.0.0.1:").append(port).append("\r\n");
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    if (body != null) {
      req.append("Content-Length: ").append(bytes.length).append("\r\n");
    }
    req.append("Connection: close\r\n\r\n");
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
      out.flush();
      return parse(s.getInputStream().readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Reply parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    int end = text.indexOf("\r\n\r\n");
    String head = end < 0 ? text : text.substring(0, end);
    String body = end < 0 ? "" : text.substring(end + 4);
    String[] lines = head.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).strip();
      headers.merge(name, value, (a, b) -> a + "\n" + b);
      chunked |= name.equals("transfer-encoding") && value.contains("chunked");
    }
    return new Reply(status, headers, chunked ? unchunk(body) : body);
  }

  private static String unchunk(String body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < body.length()) {
      int eol = body.indexOf("\r\n", i);
      int size = Integer.parseInt(body.substring(i, eol).split(";")[0].strip(), 16);
      if (size == 0) {
        break;
      }
      byte[] chunk = body.substring(eol + 2).getBytes(StandardCharsets.UTF_8);
      out.write(chunk, 0, size);
      i = eol + 2 + new String(chunk, 0, size, StandardCharsets.UTF_8).length() + 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Whether a /proc/net/tcp(6) local address is 127.0.0.1, ::ffff:127.0.0.1 or ::1. */
  static boolean isLoopback(String hex) {
    return hex.equals("0100007F")
        || hex.equals("0000000000000000FFFF00000100007F")
        || hex.equals("00000000000000000000000001000000");
  }

  /**
   * The local addresses (hex, as the kernel shows them) listening on this TCP port, from
   * /proc/net/tcp and tcp6.
   */
  static java.util.Set<String> listeningAddresses(int port) throws IOException {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      java.nio.file.Path p = java.nio.file.Path.of(table);
      if (!java.nio.file.Files.exists(p)) {
        continue;
      }
      for (String line :
          java.nio.file.Files.readAllLines(p)
              .subList(1, java.nio.file.Files.readAllLines(p).size())) {
        String[] f = line.trim().split("\\s+");
        String[] local = f[1].split(":");
        if (Integer.parseInt(local[1], 16) == port && f[3].equals("0A")) { // 0A: LISTEN
          out.add(local[0]);
        }
      }
    }
    return out;
  }
}
