package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the activations; loaded only when {@link Backend#VECTOR} is true.
 * Arrays start at index 0 and hold n elements; the loops run to {@code SPECIES.loopBound(n)} and
 * the tail is scalar. Every function gives the same bits as {@link ScalarActivations}: exp, expm1 and
 * tanh are {@link FloatMath}'s operation sequences on whole vectors, not {@code lanewise(EXP)}, whose
 * result depends on whether C2 has compiled the caller.
 */
public final class VectorActivations {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();

  private VectorActivations() {}

  // out, in are (n)
  public static void reluForward(float[] out, float[] in, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(SPECIES, in, i).max(0f).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = Math.max(in[i], 0f);
    }
  }

  // dIn, dOut, in are (n); forward: out = max(in, 0)
  public static void reluBackward(float[] dIn, float[] dOut, float[] in, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      VectorMask<Float> pos = FloatVector.fromArray(SPECIES, in, i).compare(VectorOperators.GT, 0f);
      FloatVector d = FloatVector.fromArray(SPECIES, dIn, i);
      d.add(FloatVector.fromArray(SPECIES, dOut, i), pos).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      if (in[i] > 0f) {
        dIn[i] += dOut[i];
      }
    }
  }

  // out, in are (n)
  public static void leakyReluForward(float[] out, float[] in, int n, float slope) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      VectorMask<Float> pos = x.compare(VectorOperators.GT, 0f);
      x.mul(slope).blend(x, pos).intoArray(out, i);
    }
    for (; i < n; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : x * slope;
    }
  }

  // dIn, dOut, in are (n); forward: out = in > 0 ? in : in * slope
  public static void leakyReluBackward(float[] dIn, float[] dOut, float[] in, int n, float slope) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      VectorMask<Float> pos = FloatVector.fromArray(SPECIES, in, i).compare(VectorOperators.GT, 0f);
      FloatVector g = FloatVector.fromArray(SPECIES, dOut, i);
      FloatVector d = FloatVector.fromArray(SPECIES, dIn, i);
      d.add(g.mul(slope).blend(g, pos)).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      float g = dOut[i];
      dIn[i] += in[i] > 0f ? g : g * slope;
    }
  }

  // out, in are (n)
  public static void eluForward(float[] out, float[] in, int n, float alpha) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      VectorMask<Float> pos = x.compare(VectorOperators.GT, 0f);
      expm1(x).mul(alpha).blend(x, pos).intoArray(out, i);
    }
    for (; i < n; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : FloatMath.expm1(x) * alpha;
    }
  }

  // dIn, dOut, in are (n); forward: out = in > 0 ? in : alpha * (exp(in) - 1)
  public static void eluBackward(float[] dIn, float[] dOut, float[] in, int n, float alpha) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      VectorMask<Float> pos = x.compare(VectorOperators.GT, 0f);
      FloatVector g = FloatVector.fromArray(SPECIES, dOut, i);
      FloatVector neg = g.mul(exp(x).mul(alpha));
      FloatVector.fromArray(SPECIES, dIn, i).add(neg.blend(g, pos)).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      float x = in[i];
      float g = dOut[i];
      dIn[i] += x > 0f ? g : g * (FloatMath.exp(x) * alpha);
    }
  }

  // out, in are (n)
  public static void sigmoidForward(float[] out, float[] in, int n) {
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      one.div(one.add(exp(x.neg()))).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = FloatMath.sigmoid(in[i]);
    }
  }

  // dIn, dOut, out are (n); forward: out = 1 / (1 + exp(-in))
  public static void sigmoidBackward(float[] dIn, float[] dOut, float[] out, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector y = FloatVector.fromArray(SPECIES, out, i);
      FloatVector g = FloatVector.fromArray(SPECIES, dOut, i);
      FloatVector d = FloatVector.fromArray(SPECIES, dIn, i);
      d.add(g.mul(y).mul(y.neg().add(1f))).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      float y = out[i];
      dIn[i] += dOut[i] * y * (1f - y);
    }
  }

  // out, in are (n)
  public static void tanhForward(float[] out, float[] in, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      tanh(FloatVector.fromArray(SPECIES, in, i)).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = FloatMath.tanh(in[i]);
    }
  }

  // dIn, dOut, out are (n); forward: out = tanh(in)
  public static void tanhBackward(float[] dIn, float[] dOut, float[] out, int n) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector y = FloatVector.fromArray(SPECIES, out, i);
      FloatVector g = FloatVector.fromArray(SPECIES, dOut, i);
      FloatVector d = FloatVector.fromArray(SPECIES, dIn, i);
      d.add(g.mul(y.mul(y).neg().add(1f))).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      float y = out[i];
      dIn[i] += dOut[i] * (1f - y * y);
    }
  }

  // out, in are (rows, cols); each row sums to 1
  public static void softmaxForward(float[] out, float[] in, int rows, int cols) {
    int bound = SPECIES.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      float max = Float.NEGATIVE_INFINITY;
      int j = 0;
      if (bound > 0) {
        FloatVector m = FloatVector.fromArray(SPECIES, in, base);
        for (j = L; j < bound; j += L) {
          m = m.max(FloatVector.fromArray(SPECIES, in, base + j));
        }
        max = m.reduceLanes(VectorOperators.MAX);
      }
      for (; j < cols; j++) {
        max = Math.max(max, in[base + j]);
      }
      j = 0;
      for (; j < bound; j += L) {
        exp(FloatVector.fromArray(SPECIES, in, base + j).sub(max)).intoArray(out, base + j);
      }
      for (; j < cols; j++) {
        out[base + j] = FloatMath.exp(in[base + j] - max);
      }
      double sum = 0; // in element order, as the scalar twin adds
      for (j = 0; j < cols; j++) {
        sum += out[base + j];
      }
      float inv = (float) (1.0 / sum);
      j = 0;
      for (; j < bound; j += L) {
        FloatVector.fromArray(SPECIES, out, base + j).mul(inv).intoArray(out, base + j);
      }
      for (; j < cols; j++) {
        out[base + j] *= inv;
      }
    }
  }

  // FloatMath.exp, lane by lane the same operations
  static FloatVector exp(FloatVector x) {
    FloatVector c = x.max(FloatMath.EXP_MIN).min(FloatMath.EXP_MAX);
    FloatVector t = c.fma(FloatMath.LOG2E, FloatMath.ROUND);
    FloatVector n = t.sub(FloatMath.ROUND);
    FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -FloatMath.LN2_HI), c);
    r = n.fma(FloatVector.broadcast(SPECIES, -FloatMath.LN2_LO), r);
    FloatVector p = r.fma(FloatMath.P5, FloatMath.P4);
    p = p.fma(r, FloatVector.broadcast(SPECIES, FloatMath.P3));
    p = p.fma(r, FloatVector.broadcast(SPECIES, FloatMath.P2));
    p = p.fma(r, FloatVector.broadcast(SPECIES, FloatMath.P1));
    p = p.fma(r, FloatVector.broadcast(SPECIES, FloatMath.P0));
    FloatVector y = p.fma(r.mul(r), r).add(1f);
    IntVector k = ((IntVector) t.viewAsIntegralLanes()).sub(FloatMath.ROUND_BITS);
    IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
    FloatVector s1 = (FloatVector) k1.add(127).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
    FloatVector s2 = (FloatVector) k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
    return y.mul(s1).mul(s2);
  }

  // FloatMath.expm1: both branches on every lane, the mask picks
  static FloatVector expm1(FloatVector x) {
    FloatVector q = x.fma(FloatMath.E8, FloatMath.E7);
    q = q.fma(x, FloatVector.broadcast(SPECIES, FloatMath.E6));
    q = q.fma(x, FloatVector.broadcast(SPECIES, FloatMath.E5));
    q = q.fma(x, FloatVector.broadcast(SPECIES, FloatMath.E4));
    q = q.fma(x, FloatVector.broadcast(SPECIES, FloatMath.E3));
    q = q.fma(x, FloatVector.broadcast(SPECIES, FloatMath.E2));
    FloatVector small = q.fma(x.mul(x), x);
    VectorMask<Float> isSmall = x.abs().compare(VectorOperators.LT, FloatMath.EXPM1_SMALL);
    return exp(x).sub(1f).blend(small, isSmall);
  }

  // FloatMath.tanh: both branches on every lane, the masks pick and set the sign
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    FloatVector z = x.mul(x);
    FloatVector p = z.fma(FloatMath.T4, FloatMath.T3);
    p = p.fma(z, FloatVector.broadcast(SPECIES, FloatMath.T2));
    p = p.fma(z, FloatVector.broadcast(SPECIES, FloatMath.T1));
    p = p.fma(z, FloatVector.broadcast(SPECIES, FloatMath.T0));
    FloatVector small = p.mul(z).fma(x, x);
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    FloatVector y = one.sub(FloatVector.broadcast(SPECIES, 2f).div(exp(a.add(a)).add(one)));
    y = y.blend(y.neg(), x.compare(VectorOperators.LT, 0f));
    return y.blend(small, a.compare(VectorOperators.LT, FloatMath.TANH_SMALL));
  }
}
