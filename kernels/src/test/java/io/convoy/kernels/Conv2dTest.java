package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Conv2d (im2col + GEMM) against ScalarConv2d (direct loops), the course example and finite differences. */
class Conv2dTest {

  /** Shapes (n, c, h, w, k, r, s, strideH, strideW, padH, padW) that hit the special and awkward cases. */
  static final List<ConvShape> SHAPES = List.of(
      new ConvShape(1, 1, 6, 6, 1, 3, 3, 1, 1, 0, 0),
      new ConvShape(3, 3, 5, 7, 4, 2, 3, 1, 1, 0, 0),     // non-square image and kernel
      new ConvShape(1, 3, 5, 5, 17, 1, 1, 1, 1, 0, 0),    // pointwise, no im2col
      new ConvShape(3, 17, 4, 6, 3, 1, 1, 1, 1, 0, 0),    // pointwise, C = 17
      new ConvShape(3, 3, 7, 7, 17, 3, 3, 2, 2, 0, 0),    // stride 2
      new ConvShape(1, 17, 6, 5, 1, 3, 3, 1, 1, 1, 1),    // padding 1, K = 1
      new ConvShape(3, 1, 5, 7, 3, 3, 3, 2, 2, 1, 1),     // stride 2 + padding 1
      new ConvShape(1, 3, 6, 6, 1, 5, 5, 1, 1, 2, 2),     // padding 2
      new ConvShape(3, 3, 8, 6, 2, 2, 3, 2, 1, 2, 1),     // mixed strides and paddings
      new ConvShape(1, 3, 3, 3, 3, 5, 5, 1, 1, 1, 1),     // kernel larger than the unpadded image
      new ConvShape(1, 2, 5, 5, 2, 1, 1, 2, 2, 0, 0),     // 1x1 with stride 2: goes through im2col
      new ConvShape(1, 2, 4, 4, 2, 1, 1, 1, 1, 1, 1),     // 1x1 with padding
      new ConvShape(3, 17, 2, 9, 17, 2, 7, 1, 1, 0, 3),   // wide kernel, C = K = 17
      new ConvShape(2, 3, 28, 28, 5, 3, 3, 1, 1, 1, 1));  // a real layer size

  @Test
  void courseVerticalEdgeExample() {
    float[] image = {
        3, 0, 1, 2, 7, 4,
        1, 5, 8, 9, 3, 1,
        2, 7, 2, 5, 1, 3,
        0, 1, 3, 1, 7, 8,
        4, 2, 1, 6, 2, 8,
        2, 4, 5, 2, 3, 9};
    float[] filter = {1, 0, -1, 1, 0, -1, 1, 0, -1};
    float[] expected = {
        -5, -4, 0, 8,
        -10, -2, 2, 3,
        0, -2, -4, -7,
        -3, -2, -3, -16};
    ConvShape s = ConvShape.square(1, 1, 6, 6, 1, 3, 1, 0);
    // weight at an offset inside a larger parameter vector, as layers use it
    float[] params = new float[5 + 9];
    System.arraycopy(filter, 0, params, 5, 9);
    float[] out = new float[16];
    Conv2d.forward(out, image, params, 5, null, 0, s, new float[Conv2d.workspaceSize(s)]);
    assertArrayEquals(expected, out, 0f);
    float[] out2 = new float[16];
    ScalarConv2d.forward(out2, image, params, 5, null, 0, s, null);
    assertArrayEquals(expected, out2, 0f);
  }

  @Test
  void fastMatchesScalarOnManyShapes() {
    Random rnd = new Random(42);
    double worst = 0;
    String worstWhere = "";
    for (ConvShape s : SHAPES) {
      float[] in = random(rnd, s.inSize());
      int wOff = 3;
      float[] params = random(rnd, wOff + s.weightSize() + s.k() + 2);
      int bOff = wOff + s.weightSize();
      float[] dOut = random(rnd, s.outSize());
      float[] ws = new float[Conv2d.workspaceSize(s)];
      Arrays.fill(ws, Float.NaN); // the kernels must not read stale workspace

      // forward, with and without bias; out starts as NaN garbage that must be overwritten
      for (boolean withBias : new boolean[] {true, false}) {
        float[] fast = filled(s.outSize(), Float.NaN);
        float[] ref = filled(s.outSize(), Float.NaN);
        float[] bias = withBias ? params : null;
        Conv2d.forward(fast, in, params, wOff, bias, bOff, s, ws);
        ScalarConv2d.forward(ref, in, params, wOff, bias, bOff, s, null);
        double d = assertClose(ref, fast, "forward bias=" + withBias + " " + s);
        if (d > worst) {
          worst = d;
          worstWhere = "forward " + s;
        }
      }

      // backward data: adds onto an existing gradient
      float[] start = random(rnd, s.inSize());
      float[] dInFast = start.clone();
      float[] dInRef = start.clone();
      Conv2d.backwardData(dInFast, dOut, params, wOff, s, ws);
      ScalarConv2d.backwardData(dInRef, dOut, params, wOff, s, null);
      double d = assertClose(dInRef, dInFast, "backwardData " + s);
      if (d > worst) {
        worst = d;
        worstWhere = "backwardData " + s;
      }

      // backward weights and bias, into a gradient vector at offsets, adding onto what is there
      float[] gStart = random(rnd, params.length);
      float[] gFast = gStart.clone();
      float[] gRef = gStart.clone();
      Conv2d.backwardWeights(gFast, wOff, gFast, bOff, dOut, in, s, ws);
      ScalarConv2d.backwardWeights(gRef, wOff, gRef, bOff, dOut, in, s, null);
      d = assertClose(gRef, gFast, "backwardWeights " + s);
      if (d > worst) {
        worst = d;
        worstWhere = "backwardWeights " + s;
      }
      // slots outside the weight and bias slices are untouched
      for (int i : new int[] {0, 1, 2, params.length - 2, params.length - 1}) {
        assertEquals(gStart[i], gFast[i], 0f, "gradient slot " + i + " outside the slices changed, " + s);
      }

      // dBias may be null: the weight gradient is the same
      float[] gNoBias = gStart.clone();
      Conv2d.backwardWeights(gNoBias, wOff, null, 0, dOut, in, s, ws);
      assertArrayEquals(Arrays.copyOfRange(gFast, wOff, bOff), Arrays.copyOfRange(gNoBias, wOff, bOff), 0f);
      assertArrayEquals(Arrays.copyOfRange(gStart, bOff, bOff + s.k()), Arrays.copyOfRange(gNoBias, bOff, bOff + s.k()), 0f);
    }
    System.out.printf("Conv2d vs ScalarConv2d: largest difference %.3g in %s%n", worst, worstWhere);
  }

  @Test
  void scalarBackwardMatchesFiniteDifferences() {
    checkFiniteDifferences(false);
  }

  @Test
  void fastBackwardMatchesFiniteDifferences() {
    checkFiniteDifferences(true);
  }

  /**
   * Loss L = sum(out * g) in double. The conv is linear in the input, the weight and the bias, so a
   * central difference with a large step has no truncation error: only float rounding of the forward.
   */
  private static void checkFiniteDifferences(boolean fast) {
    Random rnd = new Random(7);
    double eps = 0.05;
    double worst = 0;
    for (ConvShape s : List.of(
        new ConvShape(2, 3, 5, 7, 2, 2, 3, 1, 1, 0, 0),
        new ConvShape(1, 2, 7, 5, 3, 3, 3, 2, 2, 1, 1),
        new ConvShape(2, 3, 4, 4, 2, 1, 1, 1, 1, 0, 0),
        new ConvShape(1, 2, 6, 6, 2, 5, 3, 1, 1, 2, 1))) {
      float[] in = random(rnd, s.inSize());
      float[] params = random(rnd, s.weightSize() + s.k());
      int bOff = s.weightSize();
      float[] g = random(rnd, s.outSize());
      float[] ws = new float[Conv2d.workspaceSize(s)];
      float[] dIn = new float[s.inSize()];
      float[] dParams = new float[params.length];
      if (fast) {
        Conv2d.backwardData(dIn, g, params, 0, s, ws);
        Conv2d.backwardWeights(dParams, 0, dParams, bOff, g, in, s, ws);
      } else {
        ScalarConv2d.backwardData(dIn, g, params, 0, s, null);
        ScalarConv2d.backwardWeights(dParams, 0, dParams, bOff, g, in, s, null);
      }
      for (int i = 0; i < in.length; i++) {
        double num = centralDifference(in, i, eps, () -> loss(fast, s, in, params, bOff, g, ws));
        worst = Math.max(worst, checkGradient(num, dIn[i], "dIn[" + i + "] " + s));
      }
      for (int i = 0; i < params.length; i++) {
        double num = centralDifference(params, i, eps, () -> loss(fast, s, in, params, bOff, g, ws));
        worst = Math.max(worst, checkGradient(num, dParams[i], (i < bOff ? "dW[" + i : "dBias[" + (i - bOff)) + "] " + s));
      }
    }
    System.out.printf("%s conv backward vs finite differences: largest difference %.3g%n",
        fast ? "Conv2d" : "ScalarConv2d", worst);
  }

  private static double loss(boolean fast, ConvShape s, float[] in, float[] params, int bOff, float[] g, float[] ws) {
    float[] out = new float[s.outSize()];
    if (fast) {
      Conv2d.forward(out, in, params, 0, params, bOff, s, ws);
    } else {
      ScalarConv2d.forward(out, in, params, 0, params, bOff, s, null);
    }
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) out[i] * g[i];
    }
    return sum;
  }

  static double centralDifference(float[] x, int i, double eps, java.util.function.DoubleSupplier loss) {
    float saved = x[i];
    x[i] = (float) (saved + eps);
    double up = loss.getAsDouble();
    x[i] = (float) (saved - eps);
    double down = loss.getAsDouble();
    x[i] = saved;
    return (up - down) / (2 * eps);
  }

  static double checkGradient(double numeric, double analytic, String where) {
    double diff = Math.abs(numeric - analytic);
    assertTrue(diff <= 2e-3 * (1 + Math.abs(numeric)),
        where + ": analytic " + analytic + ", finite difference " + numeric + ", difference " + diff);
    return diff;
  }

  @Test
  void rejectsShortArraysAndWorkspace() {
    ConvShape s = ConvShape.square(2, 3, 5, 5, 4, 3, 1, 1);
    float[] in = new float[s.inSize()];
    float[] w = new float[s.weightSize()];
    float[] out = new float[s.outSize()];
    // 675 floats (one image's columns) on im2col; the direct path's planes and staging otherwise
    int need = Conv2d.workspaceSize(s);
    assertEquals(Conv2d.usesDirect(s) ? DirectConv.workspaceSize(s) : 675, need);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Conv2d.forward(out, in, w, 0, null, 0, s, new float[10]));
    assertTrue(e.getMessage().contains("workspace has 10 floats, expected at least workspaceSize = " + need),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Conv2d.forward(out, in, w, 1, null, 0, s, new float[need]));
    assertTrue(e.getMessage().contains("weight slice [1, 109) does not fit in its array of 108 floats"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Conv2d.backwardData(new float[s.inSize() - 1], out, w, 0, s, new float[need]));
    assertTrue(e.getMessage().contains("dIn has 149 floats, expected at least 150"), e.getMessage());
  }

  static float[] random(Random rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextFloat() * 2 - 1;
    }
    return x;
  }

  static float[] filled(int n, float v) {
    float[] x = new float[n];
    Arrays.fill(x, v);
    return x;
  }

  /** Asserts |a - ref| <= 1e-4 * (1 + |ref|) element-wise and returns the largest difference. */
  static double assertClose(float[] ref, float[] actual, String where) {
    assertEquals(ref.length, actual.length, where + ": lengths");
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double diff = Math.abs((double) ref[i] - actual[i]);
      if (!(diff <= 1e-4 * (1 + Math.abs(ref[i])))) {
        throw new AssertionError(where + ": element " + i + " is " + actual[i] + ", expected " + ref[i]
            + " (difference " + diff + ")");
      }
      worst = Math.max(worst, diff);
    }
    return worst;
  }
}
