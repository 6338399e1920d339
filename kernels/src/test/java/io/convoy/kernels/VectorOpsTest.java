package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** VectorOps: vector against scalar at tail sizes and offsets, clipping and finiteness semantics. */
class VectorOpsTest {
  private static final int[] SIZES = {1, 7, 17, 1023};
  private static final int OFF = 3;

  @Test
  void vectorLoopsMatchScalarAtTailSizesAndOffsets() {
    assumeTrue(Backend.VECTOR, "Vector API not available");
    SplittableRandom rng = new SplittableRandom(21);
    double worstSum = 0;
    for (int n : SIZES) {
      float[] x = random(rng, n + 2 * OFF, -2, 2);
      float[] y = random(rng, n + 2 * OFF, -2, 2);
      float[] a = y.clone();
      float[] b = y.clone();
      VectorVectorOps.axpy(0.37f, x, OFF, a, OFF - 1, n);
      ScalarVectorOps.axpy(0.37f, x, OFF, b, OFF - 1, n);
      assertArrayEquals(b, a, 1e-6f, "axpy n=" + n); // fma in the vector loop: last-bit differences
      b = a.clone();
      VectorVectorOps.scale(a, OFF, n, -1.7f);
      ScalarVectorOps.scale(b, OFF, n, -1.7f);
      assertArrayEquals(b, a, 0f, "scale n=" + n);
      VectorVectorOps.add(a, OFF, x, 0, n);
      ScalarVectorOps.add(b, OFF, x, 0, n);
      assertArrayEquals(b, a, 0f, "add n=" + n);
      VectorVectorOps.addConstant(a, 1, n, 0.25f);
      ScalarVectorOps.addConstant(b, 1, n, 0.25f);
      assertArrayEquals(b, a, 0f, "addConstant n=" + n);
      VectorVectorOps.fill(a, OFF, n, 4.5f);
      ScalarVectorOps.fill(b, OFF, n, 4.5f);
      assertArrayEquals(b, a, 0f, "fill n=" + n);
      assertEquals(4.5f, a[OFF + n - 1]);
      assertEquals(y[OFF + n], a[OFF + n], "fill wrote past its range");

      double[] vs = {VectorVectorOps.dot(x, OFF, y, 1, n), VectorVectorOps.sumSquares(x, OFF, n),
          VectorVectorOps.sum(x, OFF, n)};
      double[] ss = {ScalarVectorOps.dot(x, OFF, y, 1, n), ScalarVectorOps.sumSquares(x, OFF, n),
          ScalarVectorOps.sum(x, OFF, n)};
      for (int k = 0; k < 3; k++) {
        double d = Math.abs(vs[k] - ss[k]);
        assertTrue(d <= 1e-5 * (1 + Math.abs(ss[k])), "reduction " + k + " n=" + n + ": " + vs[k] + " vs " + ss[k]);
        worstSum = Math.max(worstSum, d);
      }
    }
    System.out.printf("VectorOpsTest dot/sumSquares/sum vector vs scalar max abs diff %.3g%n", worstSum);
  }

  @Test
  void sumsAreNotLimitedByAFloatAccumulator() {
    int n = 1 << 20;
    float[] x = new float[n];
    java.util.Arrays.fill(x, 1f);
    x[0] = 1e8f;
    // one float accumulator (or one float lane) stops growing at 1e8 and loses ~65000 of the ones;
    // the scalar twin sums in double (exact here), the vector one in double across 64-vector blocks
    double exact = 1e8 + n - 1;
    assertEquals(exact, ScalarVectorOps.sum(x, 0, n), 0.0);
    assertEquals(exact, VectorOps.sum(x, 0, n), 64.0);
    assertEquals(exact, VectorOps.dot(x, 0, new float[n + 1], 1, n) + exact, 0.0);
    double sq = 1e16 + n - 1;
    assertEquals(sq, VectorOps.sumSquares(x, 0, n), 1e16 * 1e-7);
  }

  @Test
  void clipGradNormScalesOnlyAboveTheLimit() {
    for (boolean vector : new boolean[] {false, true}) {
      if (vector && !Backend.VECTOR) {
        continue;
      }
      float[] g = random(new SplittableRandom(22), 1023 + OFF, -1, 1);
      float[] before = g.clone();
      double norm = Math.sqrt(ScalarVectorOps.sumSquares(g, OFF, 1023));
      float got = vector ? VectorVectorOps.clipGradNorm(g, OFF, 1023, 1000f)
          : ScalarVectorOps.clipGradNorm(g, OFF, 1023, 1000f);
      assertEquals(norm, got, 1e-4 * norm);
      assertArrayEquals(before, g, 0f, "no clipping below the limit");
      got = vector ? VectorVectorOps.clipGradNorm(g, OFF, 1023, 2f) : ScalarVectorOps.clipGradNorm(g, OFF, 1023, 2f);
      assertEquals(norm, got, 1e-4 * norm, "returns the norm before clipping");
      assertEquals(2.0, Math.sqrt(ScalarVectorOps.sumSquares(g, OFF, 1023)), 1e-5);
      assertEquals(before[0], g[0], "element before the offset untouched");
      float factor = (float) (2.0 / (double) got);
      for (int i = 0; i < 1023; i++) {
        assertEquals(before[OFF + i] * factor, g[OFF + i], 1e-7f, "every element scaled by maxNorm / norm");
      }
    }
  }

  @Test
  void allFiniteFindsNanAndInfinityAnywhere() {
    for (int n : SIZES) {
      for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
        for (int pos : new int[] {0, n / 2, n - 1}) {
          float[] x = random(new SplittableRandom(n), n + OFF, -1, 1);
          assertTrue(VectorOps.allFinite(x, OFF, n));
          x[OFF + pos] = bad;
          assertFalse(VectorOps.allFinite(x, OFF, n), "n=" + n + " " + bad + " at " + pos);
          assertFalse(ScalarVectorOps.allFinite(x, OFF, n));
          if (Backend.VECTOR) {
            assertFalse(VectorVectorOps.allFinite(x, OFF, n));
          }
        }
      }
    }
    float[] x = {Float.NaN, 1f, 2f};
    assertTrue(VectorOps.allFinite(x, 1, 2), "the NaN before the offset is not part of the range");
  }

  @Test
  void copyAndFacadeChecks() {
    float[] src = {1, 2, 3, 4, 5};
    float[] dst = new float[6];
    VectorOps.copy(dst, 2, src, 1, 4);
    assertArrayEquals(new float[] {0, 0, 2, 3, 4, 5}, dst);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VectorOps.axpy(1f, src, 2, dst, 0, 4));
    assertTrue(e.getMessage().contains("VectorOps.axpy") && e.getMessage().contains("x")
        && e.getMessage().contains("[2, 6)") && e.getMessage().contains("5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VectorOps.clipGradNorm(src, 0, 5, 0f));
    assertTrue(e.getMessage().contains("maxNorm") && e.getMessage().contains("0.0"), e.getMessage());
  }
}
