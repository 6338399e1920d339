package io.convoy.pipeline.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The schedules against their formulas. */
class LrScheduleTest {
  static final float BASE = 0.1f;

  @Test
  void constant() {
    assertEquals(BASE, LrSchedule.constant().rate(BASE, 7, 3, 10));
  }

  @Test
  void stepDecay() {
    LrSchedule s = new LrSchedule.StepDecay(3, 0.5f);
    assertEquals(0.1f, s.rate(BASE, 0, 0, 10), 1e-7f);
    assertEquals(0.1f, s.rate(BASE, 2, 9, 10), 1e-7f);
    assertEquals(0.05f, s.rate(BASE, 3, 0, 10), 1e-7f);
    assertEquals(0.025f, s.rate(BASE, 7, 0, 10), 1e-7f);
  }

  @Test
  void exponential() {
    LrSchedule s = new LrSchedule.Exponential(0.9f);
    for (int e = 0; e < 5; e++) {
      assertEquals(BASE * Math.pow(0.9, e), s.rate(BASE, e, 5, 10), 1e-7);
    }
  }

  @Test
  void cosine() {
    LrSchedule s = new LrSchedule.Cosine(4, 0.01f);
    assertEquals(0.1f, s.rate(BASE, 0, 0, 10), 1e-7f);
    assertEquals(0.055f, s.rate(BASE, 2, 0, 10), 1e-6f);           // half way: the mean of base and min
    double p = (1 + 5 / 10.0) / 4;
    assertEquals(0.01 + 0.09 * (1 + Math.cos(Math.PI * p)) / 2, s.rate(BASE, 1, 5, 10), 1e-7);
    assertEquals(0.01f, s.rate(BASE, 4, 0, 10), 1e-7f);
    assertEquals(0.01f, s.rate(BASE, 9, 3, 10), 1e-7f);            // held after the end
  }

  @Test
  void warmupThenAfter() {
    LrSchedule s = new LrSchedule.Warmup(2, new LrSchedule.StepDecay(1, 0.5f));
    assertEquals(0.1f * 1 / 20, s.rate(BASE, 0, 0, 10), 1e-8f);
    assertEquals(0.1f * 15 / 20, s.rate(BASE, 1, 4, 10), 1e-8f);
    assertEquals(0.1f, s.rate(BASE, 1, 9, 10), 1e-8f);
    assertEquals(0.1f, s.rate(BASE, 2, 0, 10), 1e-8f);             // the decay counts from the warm-up's end
    assertEquals(0.05f, s.rate(BASE, 3, 0, 10), 1e-8f);
  }

  @Test
  void rejectsBadArguments() {
    assertEquals("schedule.every-epochs must be > 0, got 0",
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.StepDecay(0, 0.5f)).getMessage());
    assertEquals("schedule.gamma must be in (0, 1], got 1.5",
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Exponential(1.5f)).getMessage());
    assertEquals("schedule.total-epochs must be > 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule.Cosine(-1, 0f)).getMessage());
  }
}
