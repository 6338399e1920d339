package io.convoy.kernels;

/** The plain-loop SGEMM: the oracle for {@link VectorGemm} and the fallback without the Vector API. */
public final class ScalarGemm {
  private ScalarGemm() {}

  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int cRow = cOff + i * ldc;
      if (beta == 0f) {
        for (int j = 0; j < n; j++) {
          c[cRow + j] = 0f;
        }
      } else if (beta != 1f) {
        for (int j = 0; j < n; j++) {
          c[cRow + j] *= beta;
        }
      }
      for (int p = 0; p < k; p++) {
        float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        float s = alpha * aip;
        if (s == 0f) {
          continue;
        }
        if (transB) {
          for (int j = 0; j < n; j++) {
            c[cRow + j] += s * b[bOff + j * ldb + p];
          }
        } else {
          int bRow = bOff + p * ldb;
          for (int j = 0; j < n; j++) {
            c[cRow + j] += s * b[bRow + j];
          }
        }
      }
    }
  }
}
