package io.convoy.kernels;

/**
 * Loops over flat float vectors: the parameter, gradient and optimizer-state vectors that share one
 * layout (parameter averaging, gradient clipping, zeroing).
 *
 * <p>Every method takes {@code (array, offset)} pairs and a count {@code n}; arguments are checked
 * here, then the work goes to {@link VectorVectorOps} or {@link ScalarVectorOps} as {@link Backend}
 * decides. Destination arguments come first, as in {@code add(dst, dOff, src, sOff, n)}.
 */
public final class VectorOps {
  private VectorOps() {}

  /** {@code x[off .. off+n) = v}. */
  public static void fill(float[] x, int off, int n, float v) {
    checkRange("VectorOps.fill", "x", x, off, n);
    if (Backend.VECTOR) {
      VectorVectorOps.fill(x, off, n, v);
    } else {
      ScalarVectorOps.fill(x, off, n, v);
    }
  }

  /** {@code dst[dOff + i] = src[sOff + i]} for i in [0, n); overlapping ranges are allowed. */
  public static void copy(float[] dst, int dOff, float[] src, int sOff, int n) {
    checkRange("VectorOps.copy", "dst", dst, dOff, n);
    checkRange("VectorOps.copy", "src", src, sOff, n);
    ScalarVectorOps.copy(dst, dOff, src, sOff, n);
  }

  /** {@code y += a * x}. */
  public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
    checkRange("VectorOps.axpy", "x", x, xOff, n);
    checkRange("VectorOps.axpy", "y", y, yOff, n);
    if (Backend.VECTOR) {
      VectorVectorOps.axpy(a, x, xOff, y, yOff, n);
    } else {
      ScalarVectorOps.axpy(a, x, xOff, y, yOff, n);
    }
  }

  /** {@code x *= a}. */
  public static void scale(float[] x, int off, int n, float a) {
    checkRange("VectorOps.scale", "x", x, off, n);
    if (Backend.VECTOR) {
      VectorVectorOps.scale(x, off, n, a);
    } else {
      ScalarVectorOps.scale(x, off, n, a);
    }
  }

  /** {@code dst += src}. */
  public static void add(float[] dst, int dOff, float[] src, int sOff, int n) {
    checkRange("VectorOps.add", "dst", dst, dOff, n);
    checkRange("VectorOps.add", "src", src, sOff, n);
    if (Backend.VECTOR) {
      VectorVectorOps.add(dst, dOff, src, sOff, n);
    } else {
      ScalarVectorOps.add(dst, dOff, src, sOff, n);
    }
  }

  /** Dot product, accumulated in double. */
  public static double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    checkRange("VectorOps.dot", "x", x, xOff, n);
    checkRange("VectorOps.dot", "y", y, yOff, n);
    return Backend.VECTOR ? VectorVectorOps.dot(x, xOff, y, yOff, n) : ScalarVectorOps.dot(x, xOff, y, yOff, n);
  }

  /** Sum of squares, accumulated in double. */
  public static double sumSquares(float[] x, int off, int n) {
    checkRange("VectorOps.sumSquares", "x", x, off, n);
    return Backend.VECTOR ? VectorVectorOps.sumSquares(x, off, n) : ScalarVectorOps.sumSquares(x, off, n);
  }

  /**
   * Clips a gradient to an L2 norm of at most {@code maxNorm}: when the norm exceeds it, the
   * gradient is scaled by {@code maxNorm / norm}. Returns the norm before clipping (NaN or
   * infinity when the gradient holds one; such a gradient is left as is).
   */
  public static float clipGradNorm(float[] g, int off, int n, float maxNorm) {
    checkRange("VectorOps.clipGradNorm", "g", g, off, n);
    if (!(maxNorm > 0f) || Float.isInfinite(maxNorm)) {
      throw new IllegalArgumentException("VectorOps.clipGradNorm: maxNorm must be a finite number > 0, got " + maxNorm);
    }
    return Backend.VECTOR ? VectorVectorOps.clipGradNorm(g, off, n, maxNorm)
        : ScalarVectorOps.clipGradNorm(g, off, n, maxNorm);
  }

  /** True when no element is NaN or infinite. */
  public static boolean allFinite(float[] x, int off, int n) {
    checkRange("VectorOps.allFinite", "x", x, off, n);
    return Backend.VECTOR ? VectorVectorOps.allFinite(x, off, n) : ScalarVectorOps.allFinite(x, off, n);
  }

  /** {@link #add} without argument checks, for kernels that checked their whole range once. */
  static void addUnchecked(float[] dst, int dOff, float[] src, int sOff, int n) {
    if (Backend.VECTOR) {
      VectorVectorOps.add(dst, dOff, src, sOff, n);
    } else {
      ScalarVectorOps.add(dst, dOff, src, sOff, n);
    }
  }

  /** {@code x[off + i] += v} for i in [0, n) (bias broadcast). */
  static void addConstant(float[] x, int off, int n, float v) {
    if (Backend.VECTOR) {
      VectorVectorOps.addConstant(x, off, n, v);
    } else {
      ScalarVectorOps.addConstant(x, off, n, v);
    }
  }

  /** Sum of {@code x[off .. off+n)}, accumulated in double (bias gradient). */
  static double sum(float[] x, int off, int n) {
    return Backend.VECTOR ? VectorVectorOps.sum(x, off, n) : ScalarVectorOps.sum(x, off, n);
  }

  // ---- argument checks shared by the element-wise kernels ----

  /** Checks that {@code a[off .. off+n)} exists; {@code where} and {@code what} name the call and array. */
  static void checkRange(String where, String what, float[] a, int off, int n) {
    if (a == null) {
      throw new IllegalArgumentException(where + ": " + what + " is null");
    }
    if (n < 0) {
      throw new IllegalArgumentException(where + ": element count must be >= 0, got " + n);
    }
    if (off < 0 || (long) off + n > a.length) {
      throw new IllegalArgumentException(where + ": " + what + " needs elements [" + off + ", "
          + ((long) off + n) + "), array length is " + a.length);
    }
  }

  /** Checks that {@code a} holds at least {@code n} elements from index 0. */
  static void checkLength(String where, String what, float[] a, long n) {
    if (a == null) {
      throw new IllegalArgumentException(where + ": " + what + " is null");
    }
    if (n < 0) {
      throw new IllegalArgumentException(where + ": element count must be >= 0, got " + n);
    }
    if (a.length < n) {
      throw new IllegalArgumentException(where + ": " + what + " needs " + n
          + " elements, array length is " + a.length);
    }
  }

  /** Checks that a size is non-negative. */
  static void checkSize(String where, String what, int v) {
    if (v < 0) {
      throw new IllegalArgumentException(where + ": " + what + " must be >= 0, got " + v);
    }
  }
}
