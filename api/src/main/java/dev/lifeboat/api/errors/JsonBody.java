package dev.lifeboat.api.errors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a request body as strict JSON (a key given twice or anything after the value is refused)
 * and says what is wrong with one that is not in plain words with its line and column, never with
 * the parser's class or feature names.
 */
public final class JsonBody {
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();
  // where the parser's message turns to its own internals
  private static final String[] INTERNALS = {
    " (start marker at",
    " (bound as",
    ": enable `",
    "; enable `",
    " (not recognized as one since",
    " at [Source",
    "\n"
  };
  private static final Pattern TOKEN =
      Pattern.compile(
          "\\b(VALUE_[A-Z_]+|START_OBJECT|START_ARRAY|END_OBJECT|END_ARRAY|FIELD_NAME)\\b");

  private JsonBody() {}

  /**
   * The body as a JSON object, or empty for a blank body.
   *
   * @param example what the body should look like, for the error when it is not an object
   */
  public static Optional<JsonNode> object(String text, String example) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw notJson(e);
    }
    if (!node.isObject()) {
      throw ApiException.badRequest("the request body must be a JSON object like " + example);
    }
    return Optional.of(node);
  }

  /** The 400 for a body the parser refused, with {@code line} and {@code column} when known. */
  public static ApiException notJson(JsonProcessingException e) {
    Map<String, Object> details = new LinkedHashMap<>();
    String where = "";
    if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
      details.put("line", e.getLocation().getLineNr());
      details.put("column", e.getLocation().getColumnNr());
      where =
          " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }
    return new ApiException(
        400,
        "the request body is not valid JSON: " + reason(e.getOriginalMessage()) + where,
        details);
  }

  /** The parser's message up to where it starts naming its own internals. */
  static String reason(String message) {
    if (message == null || message.isBlank()) {
      return "malformed JSON";
    }
    String m = message;
    for (String cut : INTERNALS) {
      int at = m.indexOf(cut);
      if (at >= 0) {
        m = m.substring(0, at);
      }
    }
    m = m.strip().replaceAll("[:;,]+$", "").strip();
    Matcher t = TOKEN.matcher(m);
    StringBuilder out = new StringBuilder();
    while (t.find()) {
      t.appendReplacement(out, Matcher.quoteReplacement(token(t.group(1))));
    }
    t.appendTail(out);
    m = out.toString();
    if (m.isEmpty()
        || m.contains("`")
        || m.contains("Feature")
        || m.toLowerCase(Locale.ROOT).contains("jackson")
        || m.contains("com.")
        || m.contains("java.")) {
      return "malformed JSON";
    }
    return Character.toLowerCase(m.charAt(0)) + m.substring(1);
  }

  private static String token(String name) {
    return switch (name) {
      case "VALUE_STRING" -> "a string";
      case "START_OBJECT" -> "an object";
      case "START_ARRAY" -> "an array";
      case "END_OBJECT" -> "the end of an object";
      case "END_ARRAY" -> "the end of an array";
      case "FIELD_NAME" -> "a field name";
      default -> name.startsWith("VALUE_NUMBER") ? "a number" : "a value";
    };
  }
}
