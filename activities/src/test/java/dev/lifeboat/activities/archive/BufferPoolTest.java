package dev.lifeboat.activities.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Buffers are made as first needed, up to the pool's count; where memory for another cannot be had
 * (direct memory that several runs at once share), the pool goes on with those it has, and a pool
 * that gets none fails naming its work.
 */
class BufferPoolTest {
  private static final String SHORT = "Cannot reserve 1048576 bytes of direct buffer memory";

  @Test
  void aPoolThatCannotMakeAnotherBufferWaitsForOneOfItsOwn() throws Exception {
    waitsForItsOwnOnceRefused(
        () -> {
          throw new OutOfMemoryError(SHORT);
        });
  }

  /** A maker that returns null (a budget it shares is spent) is a refusal too. */
  @Test
  void aPoolWhoseMakerHasNoMoreToGiveWaitsForOneOfItsOwn() throws Exception {
    waitsForItsOwnOnceRefused(() -> null);
  }

  private static void waitsForItsOwnOnceRefused(java.util.function.Supplier<byte[]> refusal)
      throws Exception {
    AtomicInteger made = new AtomicInteger();
    AtomicReference<BufferPool<byte[]>> pool = new AtomicReference<>();
    AtomicReference<byte[]> first = new AtomicReference<>();
    pool.set(
        new BufferPool<>(
            () -> {
              if (made.incrementAndGet() == 1) {
                return new byte[8];
              }
              // no more to be had; meanwhile the first buffer comes back
              pool.get().release(first.get());
              return refusal.get();
            },
            4));
    first.set(pool.get().take("writing"));
    assertThat(pool.get().take("writing")).isSameAs(first.get());
    assertThat(made).hasValue(2);

    // it no longer tries to grow
    pool.get().release(first.get());
    assertThat(pool.get().take("writing")).isSameAs(first.get());
    assertThat(made).hasValue(2);
  }

  @Test
  void aPoolThatCannotMakeAnyBufferFailsNamingItsWork() {
    BufferPool<byte[]> pool =
        new BufferPool<>(
            () -> {
              throw new OutOfMemoryError(SHORT);
            },
            4);
    assertThatThrownBy(() -> pool.take("writing the archive"))
        .isInstanceOf(IOException.class)
        .hasMessage("no memory for a buffer while writing the archive (" + SHORT + ")");
    BufferPool<byte[]> none = new BufferPool<>(() -> null, 4);
    assertThatThrownBy(() -> none.take("writing the archive"))
        .isInstanceOf(IOException.class)
        .hasMessage("no buffer could be had while writing the archive");
  }
}
