package io.convoy.kernels;

/**
 * {@code exp}, {@code expm1} and {@code tanh} on floats, built only from {@code + - * / fma}, min/max,
 * compares and bit operations, so every result is fixed by IEEE 754 alone.
 *
 * <p>The Vector API's {@code lanewise(EXP | EXPM1 | TANH)} is not: C2 replaces it with an intrinsic
 * (SVML on x86) while the interpreter and C1 call {@code Math.exp} lane by lane, and the two differ in
 * the last bit. A prediction made before and after a method is compiled then differed, and so could two
 * replicas of one training step. {@link VectorActivations} runs the operation sequences below on whole
 * vectors (and these methods on loop tails), {@link ScalarActivations} runs them on each element: the
 * two backends give the same bits, warm or cold.
 *
 * <p>Accuracy against {@code Math.exp/expm1/tanh} in double, largest error over the floats
 * {@code FloatMathTest} sweeps: exp 1.0 ulp, expm1 1.33, tanh 1.29, sigmoid 2.33 (the test allows 2,
 * 2, 2 and 3).
 */
final class FloatMath {
  // exp: x = n ln2 + r with |r| <= ln2 / 2, exp(x) = 2^n (1 + r + r^2 P(r)); P is Cephes' expf minimax
  static final float EXP_MIN = -110f; // exp(-110) = 1.7e-48 rounds to 0; 2^n stays two normal factors
  static final float EXP_MAX = 89f; // exp(89) overflows to infinity
  static final float LOG2E = 1.44269504088896341f;
  static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer held in the low bits
  static final int ROUND_BITS = 0x4B400000;
  static final float LN2_HI = 0.693359375f; // 9 significant bits: n * LN2_HI is exact for |n| < 2^15
  static final float LN2_LO = -2.12194440e-4f;
  static final float P5 = 1.9875691500e-4f;
  static final float P4 = 1.3981999507e-3f;
  static final float P3 = 8.3334519073e-3f;
  static final float P2 = 4.1665795894e-2f;
  static final float P1 = 1.6666665459e-1f;
  static final float P0 = 5.0000001201e-1f;

  // expm1 below |x| < ln2 / 2: x + x^2 (1/2! + x/3! + ... + x^6/8!); above it exp(x) - 1
  static final float EXPM1_SMALL = 0.34657359f;
  static final float E8 = 1f / 40320f;
  static final float E7 = 1f / 5040f;
  static final float E6 = 1f / 720f;
  static final float E5 = 1f / 120f;
  static final float E4 = 1f / 24f;
  static final float E3 = 1f / 6f;
  static final float E2 = 0.5f;

  // tanh below |x| < 0.625: x + x^3 T(x^2), Cephes' tanhf minimax; above it 1 - 2 / (exp(2|x|) + 1)
  static final float TANH_SMALL = 0.625f;
  static final float T4 = -5.70498872745e-3f;
  static final float T3 = 2.06390887954e-2f;
  static final float T2 = -5.37397155531e-2f;
  static final float T1 = 1.33314422036e-1f;
  static final float T0 = -3.33332819422e-1f;

  private FloatMath() {}

  /** e^x; NaN stays NaN, +inf and x >= 89 give +inf, -inf and x <= -104 give 0. */
  static float exp(float x) {
    float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
    float t = Math.fma(c, LOG2E, ROUND);
    float n = t - ROUND;
    float r = Math.fma(n, -LN2_HI, c);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(r, P5, P4);
    p = Math.fma(p, r, P3);
    p = Math.fma(p, r, P2);
    p = Math.fma(p, r, P1);
    p = Math.fma(p, r, P0);
    float y = Math.fma(p, r * r, r) + 1f;
    int k = Float.floatToRawIntBits(t) - ROUND_BITS;
    int k1 = k >> 1;
    float s1 = Float.intBitsToFloat((k1 + 127) << 23);
    float s2 = Float.intBitsToFloat((k - k1 + 127) << 23);
    return y * s1 * s2;
  }

  /** e^x - 1, accurate near 0. */
  static float expm1(float x) {
    if (Math.abs(x) < EXPM1_SMALL) {
      float q = Math.fma(x, E8, E7);
      q = Math.fma(q, x, E6);
      q = Math.fma(q, x, E5);
      q = Math.fma(q, x, E4);
      q = Math.fma(q, x, E3);
      q = Math.fma(q, x, E2);
      return Math.fma(q, x * x, x);
    }
    return exp(x) - 1f;
  }

  /** tanh x. */
  static float tanh(float x) {
    float a = Math.abs(x);
    if (a < TANH_SMALL) {
      float z = x * x;
      float p = Math.fma(z, T4, T3);
      p = Math.fma(p, z, T2);
      p = Math.fma(p, z, T1);
      p = Math.fma(p, z, T0);
      return Math.fma(p * z, x, x);
    }
    float y = 1f - 2f / (exp(a + a) + 1f);
    return x < 0f ? -y : y;
  }

  /** 1 / (1 + e^-x). */
  static float sigmoid(float x) {
    return 1f / (1f + exp(-x));
  }
}
