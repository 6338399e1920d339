package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the flat-vector loops of {@link VectorOps}; loaded only when
 * {@link Backend#VECTOR} is true. Each loop runs to {@code SPECIES.loopBound(n)} and leaves the
 * tail to scalar code. Sums are taken in float lanes over short blocks and added up in double, so
 * their error stays close to a double loop's without converting every lane to double.
 */
public final class VectorVectorOps {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Elements per float-lane block before the partial sums move into a double. */
  private static final int BLOCK = 64 * L;

  private VectorVectorOps() {}

  // x is [off, off + n)
  public static void fill(float[] x, int off, int n, float v) {
    FloatVector b = FloatVector.broadcast(SPECIES, v);
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      b.intoArray(x, off + i);
    }
    for (; i < n; i++) {
      x[off + i] = v;
    }
  }

  // y += a * x
  public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
    FloatVector va = FloatVector.broadcast(SPECIES, a);
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector vx = FloatVector.fromArray(SPECIES, x, xOff + i);
      FloatVector vy = FloatVector.fromArray(SPECIES, y, yOff + i);
      vx.fma(va, vy).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] += a * x[xOff + i];
    }
  }

  public static void scale(float[] x, int off, int n, float a) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(SPECIES, x, off + i).mul(a).intoArray(x, off + i);
    }
    for (; i < n; i++) {
      x[off + i] *= a;
    }
  }

  public static void add(float[] dst, int dOff, float[] src, int sOff, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector d = FloatVector.fromArray(SPECIES, dst, dOff + i);
      d.add(FloatVector.fromArray(SPECIES, src, sOff + i)).intoArray(dst, dOff + i);
    }
    for (; i < n; i++) {
      dst[dOff + i] += src[sOff + i];
    }
  }

  public static void addConstant(float[] x, int off, int n, float v) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(SPECIES, x, off + i).add(v).intoArray(x, off + i);
    }
    for (; i < n; i++) {
      x[off + i] += v;
    }
  }

  public static double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    double total = 0;
    int bound = SPECIES.loopBound(n);
    int i = 0;
    while (i < bound) {
      int end = Math.min(bound, i + BLOCK);
      FloatVector acc0 = FloatVector.zero(SPECIES);
      FloatVector acc1 = FloatVector.zero(SPECIES);
      for (; i + L < end; i += 2 * L) {
        acc0 = FloatVector.fromArray(SPECIES, x, xOff + i).fma(FloatVector.fromArray(SPECIES, y, yOff + i), acc0);
        acc1 = FloatVector.fromArray(SPECIES, x, xOff + i + L)
            .fma(FloatVector.fromArray(SPECIES, y, yOff + i + L), acc1);
      }
      for (; i < end; i += L) {
        acc0 = FloatVector.fromArray(SPECIES, x, xOff + i).fma(FloatVector.fromArray(SPECIES, y, yOff + i), acc0);
      }
      total += VectorInfo.sumLanes(acc0.add(acc1));
    }
    for (; i < n; i++) {
      total += (double) x[xOff + i] * y[yOff + i];
    }
    return total;
  }

  public static double sumSquares(float[] x, int off, int n) {
    return dot(x, off, x, off, n);
  }

  public static double sum(float[] x, int off, int n) {
    double total = 0;
    int bound = SPECIES.loopBound(n);
    int i = 0;
    while (i < bound) {
      int end = Math.min(bound, i + BLOCK);
      FloatVector acc = FloatVector.zero(SPECIES);
      for (; i < end; i += L) {
        acc = acc.add(FloatVector.fromArray(SPECIES, x, off + i));
      }
      total += VectorInfo.sumLanes(acc);
    }
    for (; i < n; i++) {
      total += x[off + i];
    }
    return total;
  }

  public static float clipGradNorm(float[] g, int off, int n, float maxNorm) {
    float norm = (float) Math.sqrt(sumSquares(g, off, n));
    if (norm > maxNorm) {
      scale(g, off, n, (float) (maxNorm / (double) norm));
    }
    return norm;
  }

  public static boolean allFinite(float[] x, int off, int n) {
    // x - x is 0 for finite x and NaN for NaN or +-infinity; a NaN lane stays NaN in the sum
    FloatVector acc = FloatVector.zero(SPECIES);
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, off + i);
      acc = acc.add(v.sub(v));
    }
    VectorMask<Float> bad = acc.test(VectorOperators.IS_NAN);
    if (bad.anyTrue()) {
      return false;
    }
    for (; i < n; i++) {
      if (!Float.isFinite(x[off + i])) {
        return false;
      }
    }
    return true;
  }
}
