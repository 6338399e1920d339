package io.convoy.kernels;

/**
 * Plain-loop twin of {@link VectorVectorOps}: same static methods, no Vector API; the oracle in
 * tests and the fallback when {@code jdk.incubator.vector} is missing. Arguments are not checked
 * here (the {@link VectorOps} facade checks them).
 */
public final class ScalarVectorOps {
  private ScalarVectorOps() {}

  // x is [off, off + n)
  public static void fill(float[] x, int off, int n, float v) {
    java.util.Arrays.fill(x, off, off + n, v);
  }

  // dst is [dOff, dOff + n), src is [sOff, sOff + n)
  public static void copy(float[] dst, int dOff, float[] src, int sOff, int n) {
    System.arraycopy(src, sOff, dst, dOff, n);
  }

  // y += a * x
  public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] += a * x[xOff + i];
    }
  }

  public static void scale(float[] x, int off, int n, float a) {
    for (int i = 0; i < n; i++) {
      x[off + i] *= a;
    }
  }

  public static void add(float[] dst, int dOff, float[] src, int sOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[dOff + i] += src[sOff + i];
    }
  }

  public static void addConstant(float[] x, int off, int n, float v) {
    for (int i = 0; i < n; i++) {
      x[off + i] += v;
    }
  }

  public static double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += (double) x[xOff + i] * y[yOff + i];
    }
    return s;
  }

  public static double sumSquares(float[] x, int off, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      double v = x[off + i];
      s += v * v;
    }
    return s;
  }

  public static double sum(float[] x, int off, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += x[off + i];
    }
    return s;
  }

  public static float clipGradNorm(float[] g, int off, int n, float maxNorm) {
    float norm = (float) Math.sqrt(sumSquares(g, off, n));
    if (norm > maxNorm) {
      scale(g, off, n, (float) (maxNorm / (double) norm));
    }
    return norm;
  }

  public static boolean allFinite(float[] x, int off, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(x[off + i])) {
        return false;
      }
    }
    return true;
  }
}
