package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** FloatMath against Math's double exp, expm1 and tanh, in float ulps, plus the special values. */
class FloatMathTest {
  interface FloatOp {
    float apply(float x);
  }

  /**
   * The largest error in ulps of the exact value's float over every {@code stride}-th float from lo to hi
   * (walking the bit patterns, so every binade is sampled alike). Results that underflow to subnormals
   * are measured in the smallest normal float's ulp.
   */
  static double maxUlps(FloatOp f, DoubleUnaryOperator exact, float lo, float hi, int stride) {
    double worst = 0;
    float worstAt = Float.NaN;
    for (float x = lo; x <= hi; x = next(x, stride)) {
      double e = exact.applyAsDouble(x);
      double ulp = Math.max(Math.ulp((float) e), Math.ulp(Float.MIN_NORMAL));
      double err = Math.abs(f.apply(x) - e) / ulp;
      if (err > worst) {
        worst = err;
        worstAt = x;
      }
    }
    System.out.printf("FloatMathTest [%g, %g]: max error %.2f ulp at %s%n", lo, hi, worst, worstAt);
    return worst;
  }

  static float next(float x, int stride) {
    int b = Float.floatToRawIntBits(x);
    // positive floats grow with their bits, negative ones shrink; 0 and -0 both step to the smallest
    // float of the other side
    if (x == 0f) {
      return Float.MIN_VALUE;
    }
    int nb = x > 0f ? b + stride : b - stride;
    if (x < 0f && nb < Float.floatToRawIntBits(-0f)) {
      return 0f;
    }
    return Float.intBitsToFloat(nb);
  }

  @Test
  void expIsWithinTwoUlps() {
    assertTrue(maxUlps(FloatMath::exp, Math::exp, -87f, 88.7f, 101) <= 2.0);
    assertTrue(maxUlps(FloatMath::exp, Math::exp, -103f, -87f, 3) <= 2.0);
  }

  @Test
  void expm1IsWithinTwoUlps() {
    assertTrue(maxUlps(FloatMath::expm1, Math::expm1, -30f, 88.7f, 101) <= 2.0);
  }

  @Test
  void tanhIsWithinTwoUlps() {
    assertTrue(maxUlps(FloatMath::tanh, Math::tanh, -12f, 12f, 101) <= 2.0);
  }

  @Test
  void sigmoidIsWithinThreeUlps() {
    assertTrue(maxUlps(FloatMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), -87f, 30f, 101) <= 3.0);
  }

  @Test
  void specialValues() {
    assertEquals(1f, FloatMath.exp(0f));
    assertEquals(1f, FloatMath.exp(-0f));
    assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(89f));
    assertEquals(Float.POSITIVE_INFINITY, FloatMath.exp(Float.POSITIVE_INFINITY));
    assertEquals(0f, FloatMath.exp(-104f));
    assertEquals(0f, FloatMath.exp(Float.NEGATIVE_INFINITY));
    assertEquals((float) Math.exp(88.72f), FloatMath.exp(88.72f), Math.ulp((float) Math.exp(88.72f)));
    assertTrue(Float.isNaN(FloatMath.exp(Float.NaN)));
    assertEquals(0f, FloatMath.expm1(0f));
    assertEquals(-1f, FloatMath.expm1(-30f));
    assertEquals(-1f, FloatMath.expm1(Float.NEGATIVE_INFINITY));
    assertEquals((float) Math.expm1(1e-7f), FloatMath.expm1(1e-7f));
    assertTrue(Float.isNaN(FloatMath.expm1(Float.NaN)));
    assertEquals(1f, FloatMath.tanh(20f));
    assertEquals(-1f, FloatMath.tanh(Float.NEGATIVE_INFINITY));
    assertEquals(1f, FloatMath.tanh(Float.POSITIVE_INFINITY));
    assertEquals(1e-7f, FloatMath.tanh(1e-7f));
    assertEquals(0f, FloatMath.tanh(0f));
    assertTrue(Float.isNaN(FloatMath.tanh(Float.NaN)));
    assertEquals(0f, FloatMath.sigmoid(-200f));
    assertEquals(1f, FloatMath.sigmoid(200f));
    assertEquals(0.5f, FloatMath.sigmoid(0f));
  }
}
