package dev.lifeboat.activities.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeboat.activities.action.ActionException;
import dev.lifeboat.activities.action.LocalActionContext;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class WaitActionTest {
  @Test
  void waitsForTheDurationAndKeepsTheDeadlineInTheCheckpoint() throws Exception {
    LocalActionContext ctx = new LocalActionContext("settle");
    long before = System.currentTimeMillis();
    WaitAction.Result r = new WaitAction().run(new WaitAction.Args("300ms", "the disk"), ctx);
    assertThat(System.currentTimeMillis() - before).isGreaterThanOrEqualTo(300);
    assertThat(r.resumed()).isFalse();
    WaitAction.Checkpoint c = ctx.lastCheckpoint(WaitAction.Checkpoint.class).orElseThrow();
    assertThat(c.deadlineMillis() - c.startedAtMillis()).isEqualTo(300);
    assertThat(ctx.lastMessage())
        .contains("for the disk")
        .contains(Instant.ofEpochMilli(c.deadlineMillis()).toString());
  }

  @Test
  void aRetriedAttemptKeepsTheFirstDeadline() throws Exception {
    LocalActionContext ctx = new LocalActionContext("settle");
    Instant first = Instant.parse("2026-11-29T10:00:00Z");
    ctx.checkpoint(
        new WaitAction.Checkpoint(first.toEpochMilli(), first.plusSeconds(30).toEpochMilli()));
    // the retry comes 40 s after the first attempt began: its deadline has passed, nothing is left
    // to wait
    Clock later = Clock.fixed(first.plusSeconds(40), ZoneOffset.UTC);
    WaitAction.Result r = new WaitAction(later).run(new WaitAction.Args("30s", null), ctx);
    assertThat(r.resumed()).isTrue();
    assertThat(r.startedAt()).isEqualTo("2026-11-29T10:00:00Z");
    assertThat(r.deadline()).isEqualTo("2026-11-29T10:00:30Z");
  }

  @Test
  void aBadDurationIsRefusedByName() {
    assertThatThrownBy(
            () ->
                new WaitAction()
                    .run(new WaitAction.Args("soon", null), new LocalActionContext("w")))
        .isInstanceOf(ActionException.class)
        .hasMessageContaining("wait: duration");
  }
}
