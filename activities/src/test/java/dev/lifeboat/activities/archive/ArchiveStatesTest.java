package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A state file is read token by token when it is one Lifeboat writes, and by the data binder
 * otherwise: either way the state (or the error) is the binder's.
 */
class ArchiveStatesTest {
  @TempDir Path tmp;

  private ArchiveRef ref() {
    return new ArchiveRef(
        "s", "o", "20240301T101530Z.tar.gz", tmp.resolve("20240301T101530Z.tar.gz"));
  }

  @Test
  void statesLifeboatWritesReadTheQuickWayAsTheBinderReadsThem() throws Exception {
    Instant at = Instant.parse("2024-03-01T10:15:30.123456789Z");
    for (ArchiveState s :
        List.of(
            ArchiveState.unverified(at, "backup"),
            ArchiveState.verified(
                at, "verify", "ab".repeat(32), Instant.parse("2024-03-01T10:15:29Z")),
            ArchiveState.verified(at, "verify"),
            ArchiveState.damaged(at, "drill", "member 3 \"x\" is \\ not what \u00e9 said\n"))) {
      ArchiveStates.write(ref(), s);
      byte[] json = Files.readAllBytes(ref().statePath());
      assertThat(ArchiveStates.fast(json))
          .as(new String(json, StandardCharsets.UTF_8))
          .isEqualTo(s);
      assertThat(ArchiveStates.recorded(ref())).isEqualTo(s);
      assertThat(Json.MAPPER.readValue(json, ArchiveState.class)).isEqualTo(s);
    }
  }

  /** Other shapes go to the binder, whose result is the reader's. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"state\":\"verified\",\"at\":\"2024-03-01T10:15:30Z\",\"later\":{\"a\":[1]}}",
        "{\"state\":\"verified\",\"state\":\"damaged\"}",
        "{\"state\":\"verified\",\"at\":\"2024-03-01T10:15:30+00:00\"}",
        "{\"state\":\"verified\",\"by\":null,\"error\":null}",
        "{\"state\":\"verified\",\"verified\":false,\"verified\":true}",
        "{\"state\":\"verified\",\"damaged\":\"no\"}",
        "{\"state\":\"Verified\"}",
        "{\"state\":\"verified\"} {}",
        "{\"state\":\"damaged\",\"error\":5}",
        "{}",
        "[]",
        "{\"state\":",
        "",
      })
  void otherShapesReadAsTheBinderReadsThem(String json) throws Exception {
    Files.writeString(ref().statePath(), json);
    ArchiveStates.Recorded read = ArchiveStates.record(ref());
    ArchiveState bound;
    String problem = null;
    try {
      bound = Json.MAPPER.readValue(json.getBytes(StandardCharsets.UTF_8), ArchiveState.class);
    } catch (java.io.IOException e) {
      bound = null;
      problem = ManifestCheck.readFailure(e);
    }
    if (bound == null || bound.state() == null) {
      assertThat(read.state()).isNull();
      assertThat(read.problem()).isEqualTo(problem == null ? "it records no state" : problem);
    } else {
      assertThat(read.state()).isEqualTo(bound);
    }
  }
}
