package io.convoy.kernels;

/** Vector API SGEMM (placeholder until the packed kernel lands: delegates to the scalar loops). */
public final class VectorGemm {
  private VectorGemm() {}

  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    ScalarGemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }
}
