package dev.lifeboat.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentValuesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** The built-in configuration with these environment variables, as the server reads it. */
  private static JsonNode configuration(Map<String, String> env) throws Exception {
    String text;
    try (InputStream in = LifeboatApplication.class.getResourceAsStream("/lifeboat.yml")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return YAML.readTree(new EnvironmentValues(env::get).replace(text));
  }

  @Test
  void aValueIsDataWhateverCharactersItHolds() throws Exception {
    for (String token :
        new String[] {
          "hunter2 #9f8e7d6c5b4a",
          "~",
          "[a, b]",
          "{x: 1}",
          "'quoted'",
          "a\"b\\\\c",
          "x: y",
          "${HOME}",
          "null",
          "- item",
          "line\nbreak",
          "*alias",
          "&anchor",
          "!tag value",
          "% directive"
        }) {
      JsonNode c = configuration(Map.of("LIFEBOAT_API_TOKEN", token, "LIFEBOAT_BIND", "::"));
      assertThat(c.at("/auth/token").isTextual()).as(token).isTrue();
      assertThat(c.at("/auth/token").asText()).as(token).isEqualTo(token);
      assertThat(c.at("/server/connector/bindHost").asText()).isEqualTo("::");
    }
  }

  @Test
  void unsetVariablesTakeTheDefaultsAndNumbersStayNumbersToTheirFields() throws Exception {
    JsonNode c = configuration(Map.of("LIFEBOAT_PORT", "8091"));
    assertThat(c.at("/server/connector/port").asText()).isEqualTo("8091");
    assertThat(c.at("/server/connector/bindHost").asText()).isEqualTo("127.0.0.1");
    assertThat(c.at("/auth/token").isNull() || c.at("/auth/token").asText().isEmpty()).isTrue();
  }
}
