package dev.lifeboat.api.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TemporalInfoTest {
  @Test
  void theModeFollowsTheServerAndWhatStartedIt() {
    TemporalInfo embedded = TemporalInfo.of(true, "dev-server", "127.0.0.1:4711", "default", "");
    assertThat(embedded.mode()).isEqualTo("in-memory");
    assertThat(embedded.durable()).isFalse();
    assertThat(embedded.workflowPage("a@b")).isEmpty();

    TemporalInfo dev =
        TemporalInfo.of(false, "dev-server", "127.0.0.1:7233", "default", "http://127.0.0.1:8233/");
    assertThat(dev.mode()).isEqualTo("dev-server");
    assertThat(dev.durable()).isTrue();
    assertThat(dev.toJson())
        .containsEntry("ui", "http://127.0.0.1:8233")
        .containsEntry("durable", true)
        .containsEntry("address", "127.0.0.1:7233");

    assertThat(TemporalInfo.of(false, "", "temporal:7233", "lab", "").mode()).isEqualTo("remote");
  }

  @Test
  void theUiAddressWinsInEveryModeAndTheRunIdIsEncoded() {
    TemporalInfo remote =
        TemporalInfo.of(false, "", "temporal:7233", "lab team", "https://temporal.example/ui");
    assertThat(remote.workflowPage("hardware-loss@20261122T020000.000Z/rebuild"))
        .hasValue(
            "https://temporal.example/ui/namespaces/lab%20team/workflows/"
                + "hardware-loss%4020261122T020000.000Z%2Frebuild");
    assertThat(TemporalInfo.of(true, "", "127.0.0.1:1", "default", "http://ui").workflowPage("x"))
        .hasValue("http://ui/namespaces/default/workflows/x");
  }
}
