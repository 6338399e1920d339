package io.convoy.kernels;

/**
 * Single-precision matrix multiply on row-major arrays: {@code C = alpha * op(A) * op(B) + beta * C}.
 *
 * <p>{@code op(A)} is m x k and {@code op(B)} is k x n; {@code transA} means A is stored k x m
 * (and read transposed), likewise {@code transB}. {@code beta == 0} overwrites C without reading
 * it. Dispatches to {@link VectorGemm} or {@link ScalarGemm} as {@link Backend} decides.
 */
public final class Gemm {
  private Gemm() {}

  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    checkArgs(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    if (Backend.VECTOR) {
      VectorGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } else {
      ScalarGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
  }

  static void checkArgs(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("sgemm sizes must be >= 0, got m=" + m + " n=" + n + " k=" + k);
    }
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    checkMatrix("A", a, aOff, lda, aRows, aCols);
    checkMatrix("B", b, bOff, ldb, bRows, bCols);
    checkMatrix("C", c, cOff, ldc, m, n);
  }

  private static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
    if (rows == 0 || cols == 0) {
      return;
    }
    if (ld < cols) {
      throw new IllegalArgumentException("sgemm: leading dimension of " + name + " is " + ld
          + ", expected >= " + cols + " (its column count)");
    }
    long last = (long) off + (long) (rows - 1) * ld + cols;
    if (off < 0 || last > x.length) {
      throw new IllegalArgumentException("sgemm: " + name + " (" + rows + " x " + cols + ", ld " + ld
          + ", offset " + off + ") needs " + last + " floats, array has " + x.length);
    }
  }
}
