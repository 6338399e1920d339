package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Optimizers: vector against scalar over several steps, hand-computed first steps, argument checks. */
class OptimizersTest {
  private static final int[] SIZES = {1, 7, 17, 1023};

  interface Step {
    void run(boolean vector, float[] p, float[] g, float[] s1, float[] s2, int n, int t);
  }

  private static void vectorMatchesScalar(String name, Step step) {
    assumeTrue(Backend.VECTOR, "Vector API not available");
    SplittableRandom rng = new SplittableRandom(31);
    for (int n : SIZES) {
      float[] p = random(rng, n, -1, 1);
      float[] pv = p.clone();
      float[] a1 = new float[n];
      float[] a2 = new float[n];
      float[] b1 = new float[n];
      float[] b2 = new float[n];
      for (int t = 1; t <= 3; t++) {
        float[] g = random(rng, n, -1, 1);
        step.run(false, p, g, a1, a2, n, t);
        step.run(true, pv, g, b1, b2, n, t);
      }
      // same operations in the same order, no fma, correctly rounded sqrt: bit-identical
      assertArrayEquals(p, pv, 0f, name + " n=" + n + " parameters");
      assertArrayEquals(a1, b1, 0f, name + " n=" + n + " state 1");
      assertArrayEquals(a2, b2, 0f, name + " n=" + n + " state 2");
    }
    System.out.printf("OptimizersTest %-14s vector vs scalar max diff 0 over 3 steps at n = 1, 7, 17, 1023%n", name);
  }

  @Test
  void vectorStepsMatchScalarBitForBit() {
    vectorMatchesScalar("sgd", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.sgd(p, g, n, 0.1f, 0.01f);
      } else {
        ScalarOptimizers.sgd(p, g, n, 0.1f, 0.01f);
      }
    });
    vectorMatchesScalar("momentum", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.momentum(p, g, s1, n, 0.1f, 0.9f, 0.1f, false, 0.01f, t);
      } else {
        ScalarOptimizers.momentum(p, g, s1, n, 0.1f, 0.9f, 0.1f, false, 0.01f, t);
      }
    });
    vectorMatchesScalar("nesterov", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.momentum(p, g, s1, n, 0.1f, 0.9f, 0f, true, 0f, t);
      } else {
        ScalarOptimizers.momentum(p, g, s1, n, 0.1f, 0.9f, 0f, true, 0f, t);
      }
    });
    vectorMatchesScalar("adam", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.adam(p, g, s1, s2, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
      } else {
        ScalarOptimizers.adam(p, g, s1, s2, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
      }
    });
    vectorMatchesScalar("adamW", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.adamW(p, g, s1, s2, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
      } else {
        ScalarOptimizers.adamW(p, g, s1, s2, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
      }
    });
    vectorMatchesScalar("rmsprop+mom", (v, p, g, s1, s2, n, t) -> {
      if (v) {
        VectorOptimizers.rmsprop(p, g, s1, s2, n, 0.01f, 0.99f, 1e-8f, 0.01f, 0.5f);
      } else {
        ScalarOptimizers.rmsprop(p, g, s1, s2, n, 0.01f, 0.99f, 1e-8f, 0.01f, 0.5f);
      }
    });
  }

  @Test
  void firstStepsByHand() {
    float[] p = {1f, -2f};
    Optimizers.sgd(p, new float[] {0.5f, 1f}, 2, 0.1f, 0.1f);
    assertEquals(1f - 0.1f * (0.5f + 0.1f), p[0], 1e-7f);
    assertEquals(-2f - 0.1f * (1f - 0.2f), p[1], 1e-7f);

    // Adam's first step moves each parameter by about lr * sign(g)
    p = new float[] {1f, -2f};
    float[] m = new float[2];
    float[] v = new float[2];
    Optimizers.adam(p, new float[] {0.5f, -3f}, m, v, 2, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1);
    assertEquals(0.99f, p[0], 1e-6f);
    assertEquals(-1.99f, p[1], 1e-6f);
    assertEquals(0.05f, m[0], 1e-7f);
    assertEquals((1f - 0.999f) * 9f, v[1], 1e-7f);

    // momentum with dampening: PyTorch starts the buffer at g (undamped) on step 1
    p = new float[] {0f};
    float[] buf = new float[1];
    Optimizers.momentum(p, new float[] {2f}, buf, 1, 0.5f, 0.9f, 0.5f, false, 0f, 1);
    assertEquals(2f, buf[0]);
    assertEquals(-1f, p[0]);
    Optimizers.momentum(p, new float[] {2f}, buf, 1, 0.5f, 0.9f, 0.5f, false, 0f, 2);
    assertEquals(0.9f * 2f + 0.5f * 2f, buf[0], 1e-6f);

    // RMSprop without momentum accepts a null buffer
    p = new float[] {1f};
    Optimizers.rmsprop(p, new float[] {2f}, new float[1], null, 1, 0.01f, 0.99f, 0f, 0f, 0f);
    assertEquals(1f - 0.01f * 2f / (float) Math.sqrt(0.01f * 4f), p[0], 1e-6f);
  }

  @Test
  void argumentErrorsSayWhatAndWhere() {
    float[] p = new float[4];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Optimizers.adam(p, new float[4], new float[4], new float[4], 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0));
    assertTrue(e.getMessage().contains("Optimizers.adam") && e.getMessage().contains("got 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Optimizers.adam(p, new float[4], new float[3], new float[4], 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
    assertTrue(e.getMessage().contains("m") && e.getMessage().contains("3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Optimizers.rmsprop(p, new float[4], new float[4], null, 4, 0.01f, 0.99f, 1e-8f, 0f, 0.9f));
    assertTrue(e.getMessage().contains("buf") && e.getMessage().contains("null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Optimizers.sgd(p, new float[4], 4, -1f, 0f));
    assertTrue(e.getMessage().contains("learning rate") && e.getMessage().contains("-1.0"), e.getMessage());
  }
}
