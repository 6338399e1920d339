package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link VectorGemm} against {@link ScalarGemm} on seeded random data: every transpose pair,
 * alpha/beta variants, offsets and padded leading dimensions, and sizes that hit every tail of the
 * micro-tile and of the cache blocks. Also the facade's argument checks.
 */
class GemmTest {
  private static final float EPS = Math.ulp(1f);

  /** One product of the given shape and layout; returns the largest |vector - scalar|. */
  private static double compare(long seed, boolean transA, boolean transB, int m, int n, int k,
      float alpha, float beta, int pad, int off) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    int lda = aCols + pad;
    int ldb = bCols + pad;
    int ldc = n + pad;
    float[] a = random(rnd, off + aRows * lda + 3);
    float[] b = random(rnd, off + bRows * ldb + 3);
    float[] cInit = random(rnd, off + m * ldc + 3);
    if (beta == 0f) {
      // beta == 0 must overwrite C: old NaNs must not leak into the result.
      for (int i = 0; i < m; i++) {
        Arrays.fill(cInit, off + i * ldc, off + i * ldc + n, Float.NaN);
      }
    }
    float[] cVec = cInit.clone();
    float[] cRef = cInit.clone();
    VectorGemm.sgemm(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, cVec, off, ldc);
    ScalarGemm.sgemm(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, cRef, off, ldc);
    // Entries in [-1, 1): each product term is below 1 in size, so the rounding error of a sum of
    // k terms stays below about k * eps for each of the two implementations.
    double tol = 4.0 * EPS * (Math.abs(alpha) * Math.max(k, 1) + Math.abs(beta) + 1);
    double maxDiff = 0;
    String where = "sgemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n
        + " k=" + k + " alpha=" + alpha + " beta=" + beta + " pad=" + pad + " off=" + off;
    for (int i = 0; i < cVec.length; i++) {
      int row = (i - off) / ldc;
      int col = (i - off) % ldc;
      boolean inside = i >= off && row < m && col < n;
      if (!inside) {
        // Everything outside the m x n window of C stays untouched.
        assertEquals(cInit[i], cVec[i], 0f, where + ": wrote outside C at index " + i);
        continue;
      }
      assertTrue(Float.isFinite(cVec[i]), where + ": non-finite C(" + row + "," + col + ")=" + cVec[i]);
      double d = Math.abs((double) cVec[i] - cRef[i]);
      maxDiff = Math.max(maxDiff, d);
      assertTrue(d <= tol, where + ": C(" + row + "," + col + ") vector " + cVec[i] + " scalar "
          + cRef[i] + " differ by " + d + " > " + tol);
    }
    return maxDiff;
  }

  private static float[] random(SplittableRandom rnd, int size) {
    float[] x = new float[size];
    for (int i = 0; i < size; i++) {
      x[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Test
  void allTransposesOnTailSizes() {
    int[] sizes = {1, 2, 4, 7, 17, 33};
    float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-0.75f, 0.5f}};
    double worst = 0;
    long seed = 1;
    for (int t = 0; t < 4; t++) {
      boolean transA = (t & 1) != 0;
      boolean transB = (t & 2) != 0;
      for (int m : sizes) {
        for (int n : sizes) {
          for (int k : sizes) {
            for (float[] ab : alphaBeta) {
              worst = Math.max(worst, compare(seed++, transA, transB, m, n, k, ab[0], ab[1], 0, 0));
            }
          }
        }
      }
    }
    System.out.println("GemmTest tail sizes: max |vector - scalar| = " + worst);
  }

  @Test
  void offsetsAndPaddedLeadingDimensions() {
    double worst = 0;
    long seed = 100;
    for (int t = 0; t < 4; t++) {
      boolean transA = (t & 1) != 0;
      boolean transB = (t & 2) != 0;
      worst = Math.max(worst, compare(seed++, transA, transB, 13, 41, 19, 1f, 0f, 5, 7));
      worst = Math.max(worst, compare(seed++, transA, transB, 6 * 3, 2 * VectorGemm.NR, 8, 0.5f, 1f, 3, 11));
      worst = Math.max(worst, compare(seed++, transA, transB, 1, 1023, 7, 1f, 0.5f, 1, 2));
    }
    System.out.println("GemmTest offsets/ld: max |vector - scalar| = " + worst);
  }

  @Test
  void sizesAcrossCacheBlocks() {
    // Crosses KC (k blocks, beta applied only on the first), MC (row blocks) and ragged tiles.
    int kc = VectorGemm.KC;
    int mc = VectorGemm.MC;
    double worst = 0;
    long seed = 200;
    for (int t = 0; t < 4; t++) {
      boolean transA = (t & 1) != 0;
      boolean transB = (t & 2) != 0;
      worst = Math.max(worst, compare(seed++, transA, transB, 300, 257, 513, 1f, 0f, 0, 0));
      worst = Math.max(worst, compare(seed++, transA, transB, mc + 5, 3 * VectorGemm.NR + 3, kc + 1, 1f, 0.5f, 2, 1));
      worst = Math.max(worst, compare(seed++, transA, transB, 7, 1023, 17, -1f, 1f, 0, 3));
      // Transposed A wide enough to be packed, across MC and KC, alpha folded into the panels.
      worst = Math.max(worst, compare(seed++, transA, transB, mc + 7,
          VectorGemm.PACK_A_MIN_PANELS * VectorGemm.NR + 5, kc + 3, 1.5f, 1f, 1, 0));
      // Few rows (the unpacked path) with a long k and ragged n.
      worst = Math.max(worst, compare(seed++, transA, transB, VectorGemm.SKINNY_ROWS, 4 * VectorGemm.L + 3, 1023, 1f, 0.5f, 1, 2));
      worst = Math.max(worst, compare(seed++, transA, transB, VectorGemm.SKINNY_ROWS + 1, 4 * VectorGemm.L + 3, 1023, 1f, 0f, 1, 2));
    }
    System.out.println("GemmTest across blocks: max |vector - scalar| = " + worst);
  }

  @Test
  void columnBlockBoundary() {
    // n past NC: more than one packed B block along n.
    double d = compare(300, false, false, 9, VectorGemm.NC + 19, 5, 1f, 0.5f, 0, 0);
    d = Math.max(d, compare(301, false, true, 9, VectorGemm.NC + 19, 5, 1f, 0f, 0, 0));
    System.out.println("GemmTest column blocks: max |vector - scalar| = " + d);
  }

  @Test
  void trainingShapes() {
    double worst = 0;
    // conv forward via im2col: (K x CRS) * (CRS x PQ)
    worst = Math.max(worst, compare(400, false, false, 32, 784, 9, 1f, 0f, 0, 0));
    worst = Math.max(worst, compare(401, false, false, 64, 196, 288, 1f, 0f, 0, 0));
    // conv backward weights: dOut (K x PQ) * col^T (PQ x CRS), adding into dW
    worst = Math.max(worst, compare(402, false, true, 64, 288, 196, 1f, 1f, 0, 0));
    // conv backward data: W^T (CRS x K) * dOut (K x PQ)
    worst = Math.max(worst, compare(403, true, false, 288, 196, 64, 1f, 0f, 0, 0));
    // dense forward: x (N x in) * W^T, W is (out x in)
    worst = Math.max(worst, compare(404, false, true, 128, 128, 3136, 1f, 0f, 0, 0));
    System.out.println("GemmTest training shapes: max |vector - scalar| = " + worst);
  }

  @Test
  void kZeroAndAlphaZeroOnlyScaleC() {
    float[] c = {1f, 2f, 3f, 4f};
    VectorGemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
    assertTrue(Arrays.equals(new float[] {0.5f, 1f, 1.5f, 2f}, c), Arrays.toString(c));
    float[] nan = {Float.NaN, Float.NaN};
    VectorGemm.sgemm(false, false, 1, 2, 3, 0f, new float[3], 0, 3, new float[6], 0, 2, 0f, nan, 0, 2);
    assertTrue(Arrays.equals(new float[] {0f, 0f}, nan), Arrays.toString(nan));
  }

  @Test
  void facadeMatchesScalarAndChecksArguments() {
    float[] a = {1, 2, 3, 4, 5, 6};       // 2 x 3
    float[] b = {1, 0, 0, 1, 1, 1};       // 3 x 2
    float[] c = new float[4];
    Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2);
    assertTrue(Arrays.equals(new float[] {4, 5, 10, 11}, c), Arrays.toString(c));

    IllegalArgumentException badLd = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
    assertTrue(badLd.getMessage().contains("leading dimension of A is 2"), badLd.getMessage());
    assertTrue(badLd.getMessage().contains(">= 3"), badLd.getMessage());

    IllegalArgumentException shortC = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, new float[3], 0, 2));
    assertTrue(shortC.getMessage().contains("C (2 x 2"), shortC.getMessage());
    assertTrue(shortC.getMessage().contains("needs 4 floats, array has 3"), shortC.getMessage());

    IllegalArgumentException badOff = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(true, false, 2, 2, 3, 1f, a, 1, 2, b, 0, 2, 0f, c, 0, 2));
    assertTrue(badOff.getMessage().contains("A (3 x 2, ld 2, offset 1) needs 7 floats, array has 6"),
        badOff.getMessage());

    IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2));
    assertTrue(negative.getMessage().contains("m=-1"), negative.getMessage());
  }
}
