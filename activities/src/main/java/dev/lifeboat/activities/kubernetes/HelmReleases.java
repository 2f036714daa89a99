package dev.lifeboat.activities.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads Helm 3 releases from their storage secrets (type {@code helm.sh/release.v1}) without the
 * helm binary: the {@code release} key holds base64 of gzip of the release JSON (base64 once more
 * on the wire).
 */
final class HelmReleases {
  static final String SECRET_TYPE = "helm.sh/release.v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private HelmReleases() {}

  /** One revision of one release, with the values the user supplied. */
  record Release(
      String name,
      String namespace,
      int revision,
      String status,
      String chart,
      String chartVersion,
      String appVersion,
      String updated,
      Map<String, Object> values) {

    Map<String, Object> summary() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("namespace", namespace);
      m.put("revision", revision);
      m.put("status", status);
      m.put("chart", chart + (chartVersion == null ? "" : "-" + chartVersion));
      m.put("appVersion", appVersion);
      m.put("updated", updated);
      return m;
    }
  }

  static boolean isRelease(Secret s) {
    return SECRET_TYPE.equals(s.getType())
        && s.getData() != null
        && s.getData().containsKey("release");
  }

  @SuppressWarnings("unchecked")
  static Release decode(Secret s) throws IOException {
    byte[] helmText = Base64.getDecoder().decode(s.getData().get("release").trim());
    byte[] raw = Base64.getDecoder().decode(new String(helmText, StandardCharsets.US_ASCII).trim());
    byte[] json;
    if (raw.length > 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
        json = in.readAllBytes();
      }
    } else {
      json = raw;
    }
    JsonNode r = JSON.readTree(json);
    JsonNode meta = r.path("chart").path("metadata");
    Map<String, Object> values =
        r.hasNonNull("config") ? JSON.convertValue(r.get("config"), Map.class) : Map.of();
    return new Release(
        r.path("name").asText(),
        r.path("namespace").asText(s.getMetadata().getNamespace()),
        r.path("version").asInt(),
        text(r.path("info").path("status")),
        text(meta.path("name")),
        text(meta.path("version")),
        text(meta.path("appVersion")),
        text(r.path("info").path("last_deployed")),
        values == null ? Map.of() : values);
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? null : n.asText();
  }
}
