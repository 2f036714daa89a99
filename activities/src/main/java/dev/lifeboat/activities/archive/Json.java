package dev.lifeboat.activities.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The JSON form of manifests and sidecars: ISO times, no nulls, readable by later format versions.
 */
final class Json {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(IsoInstants.module())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  /**
   * Manifests without indentation: one of a large tree is megabytes that no one reads by eye, and
   * every later backup, listing and single-file read parses it again.
   */
  static final com.fasterxml.jackson.databind.ObjectWriter COMPACT =
      MAPPER
          .writer()
          .without(SerializationFeature.INDENT_OUTPUT)
          .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  /**
   * How a manifest is read: strictly, as it is untrusted. A key given twice, anything after the
   * object, or a fraction where a whole number belongs fail the read instead of being taken one way
   * or another.
   */
  static final com.fasterxml.jackson.databind.ObjectReader MANIFEST =
      strictScalars(MAPPER.copy())
          .readerFor(Manifest.class)
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .without(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  /** A number or a truth value written as text ("5", "true") is not one. */
  private static ObjectMapper strictScalars(ObjectMapper m) {
    for (com.fasterxml.jackson.databind.type.LogicalType t :
        new com.fasterxml.jackson.databind.type.LogicalType[] {
          com.fasterxml.jackson.databind.type.LogicalType.Integer,
          com.fasterxml.jackson.databind.type.LogicalType.Float,
          com.fasterxml.jackson.databind.type.LogicalType.Boolean
        }) {
      m.coercionConfigFor(t)
          .setCoercion(
              com.fasterxml.jackson.databind.cfg.CoercionInputShape.String,
              com.fasterxml.jackson.databind.cfg.CoercionAction.Fail);
    }
    return m;
  }

  private Json() {}
}
