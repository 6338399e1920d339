package io.convoy.kernels;

import static io.convoy.kernels.VectorOps.checkLength;
import static io.convoy.kernels.VectorOps.checkSize;

/**
 * Inverted dropout: in training each element is kept with probability {@code 1 - p} and scaled by
 * {@code 1 / (1 - p)}, so inference needs no rescaling. The mask is counter-based: element i is
 * dropped when a SplitMix64 hash of {@code (seed, i)} falls below p, so the same seed gives the same
 * mask on every JVM and in any order of evaluation, without allocating a generator.
 * Callers derive the seed from their base seed and the step (and the layer), for example
 * {@code seed = base * 1_000_003 + step}, so every step draws a fresh mask yet reruns repeat.
 */
public final class Dropout {
  private Dropout() {}

  /**
   * in, out and mask are (n). Writes {@code mask[i]} = 0 or {@code 1 / (1 - p)} and
   * {@code out = in * mask}. {@code p == 0} keeps everything (mask all 1, out = in).
   *
   * @throws IllegalArgumentException when p is outside [0, 1)
   */
  public static void forward(float[] out, float[] mask, float[] in, int n, float p, long seed) {
    String where = "Dropout.forward";
    if (!(p >= 0f && p < 1f)) {
      throw new IllegalArgumentException(where + ": drop probability p must be in [0, 1), got " + p);
    }
    checkSize(where, "n", n);
    checkLength(where, "in", in, n);
    checkLength(where, "out", out, n);
    checkLength(where, "mask", mask, n);
    if (p == 0f) {
      java.util.Arrays.fill(mask, 0, n, 1f);
      System.arraycopy(in, 0, out, 0, n);
      return;
    }
    float keep = 1f / (1f - p);
    // drop when the top 53 bits of the hash, as a double in [0, 1), are below p
    double pd = p;
    for (int i = 0; i < n; i++) {
      float m = uniform(seed, i) < pd ? 0f : keep;
      mask[i] = m;
      out[i] = in[i] * m;
    }
  }

  /** dIn, dOut and mask are (n): {@code dIn += dOut * mask}. */
  public static void backward(float[] dIn, float[] dOut, float[] mask, int n) {
    String where = "Dropout.backward";
    checkSize(where, "n", n);
    checkLength(where, "dIn", dIn, n);
    checkLength(where, "dOut", dOut, n);
    checkLength(where, "mask", mask, n);
    for (int i = 0; i < n; i++) {
      dIn[i] += dOut[i] * mask[i];
    }
  }

  /** A uniform double in [0, 1) from (seed, i): the SplitMix64 output for counter i + 1. */
  static double uniform(long seed, int i) {
    long z = seed + (i + 1L) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }
}
