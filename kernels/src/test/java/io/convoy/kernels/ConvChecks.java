package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

/** Checks shared by the tests of the fast convolution paths (direct, Winograd). */
final class ConvChecks {
  private ConvChecks() {}

  /**
   * Asserts |actual - ref| <= tol * (mag + 1e-3) element-wise, where {@code mag} is each element's sum of
   * |terms|: rounding grows with the terms, not with the result. Returns the largest ratio to (mag + 1e-3).
   */
  static double termBound(float[] ref, float[] actual, float[] mag, double tol, String where) {
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double rel = Math.abs((double) actual[i] - ref[i]) / (mag[i] + 1e-3);
      if (!(rel <= tol)) {
        throw new AssertionError(where + ": element " + i + " is " + actual[i] + ", expected " + ref[i]
            + " (difference " + Math.abs((double) actual[i] - ref[i]) + ", sum of |terms| " + mag[i] + ")");
      }
      worst = Math.max(worst, rel);
    }
    return worst;
  }

  /**
   * Runs Conv2d's three passes on {@code s} with a NaN-filled workspace and compares each with ScalarConv2d
   * under {@link #termBound}: forward with and without bias, backward-data and backward-weights adding into
   * random starting values. The weights start at {@code wOff} of a parameter array with {@code tail} spare
   * floats after the bias, whose untouched slots are checked too. Raises {@code worst[0..2]} to the largest
   * ratios seen (forward, backward-data, backward-weights).
   */
  static void againstScalar(ConvShape s, Random rnd, int wOff, int tail, double tol, double[] worst) {
    float[] in = Conv2dTest.random(rnd, s.inSize());
    float[] params = Conv2dTest.random(rnd, wOff + s.weightSize() + s.k() + tail);
    int bOff = wOff + s.weightSize();
    float[] dOut = Conv2dTest.random(rnd, s.outSize());
    float[] absIn = abs(in);
    float[] absParams = abs(params);
    float[] absDOut = abs(dOut);
    float[] ws = new float[Conv2d.workspaceSize(s)];
    Arrays.fill(ws, Float.NaN); // stale workspace must never leak into a result

    float[] fast = Conv2dTest.filled(s.outSize(), Float.NaN);
    float[] ref = new float[s.outSize()];
    float[] mag = new float[s.outSize()];
    Conv2d.forward(fast, in, params, wOff, params, bOff, s, ws);
    ScalarConv2d.forward(ref, in, params, wOff, params, bOff, s, null);
    ScalarConv2d.forward(mag, absIn, absParams, wOff, absParams, bOff, s, null);
    worst[0] = Math.max(worst[0], termBound(ref, fast, mag, tol, "forward " + s));

    float[] noBias = Conv2dTest.filled(s.outSize(), Float.NaN);
    float[] refNoBias = new float[s.outSize()];
    Conv2d.forward(noBias, in, params, wOff, null, 0, s, ws);
    ScalarConv2d.forward(refNoBias, in, params, wOff, null, 0, s, null);
    termBound(refNoBias, noBias, mag, tol, "forward without bias " + s);

    float[] start = Conv2dTest.random(rnd, s.inSize());
    float[] dInFast = start.clone();
    float[] dInRef = start.clone();
    float[] dInMag = abs(start);
    Conv2d.backwardData(dInFast, dOut, params, wOff, s, ws);
    ScalarConv2d.backwardData(dInRef, dOut, params, wOff, s, null);
    ScalarConv2d.backwardData(dInMag, absDOut, absParams, wOff, s, null);
    worst[1] = Math.max(worst[1], termBound(dInRef, dInFast, dInMag, tol, "backwardData " + s));

    float[] gStart = Conv2dTest.random(rnd, params.length);
    float[] gFast = gStart.clone();
    float[] gRef = gStart.clone();
    float[] gMag = abs(gStart);
    Conv2d.backwardWeights(gFast, wOff, gFast, bOff, dOut, in, s, ws);
    ScalarConv2d.backwardWeights(gRef, wOff, gRef, bOff, dOut, in, s, null);
    ScalarConv2d.backwardWeights(gMag, wOff, gMag, bOff, absDOut, absIn, s, null);
    worst[2] = Math.max(worst[2], termBound(gRef, gFast, gMag, tol, "backwardWeights " + s));
    for (int i : new int[] {0, wOff - 1, params.length - 1}) {
      assertEquals(gStart[i], gFast[i], 0f, "gradient slot " + i + " outside the slices changed, " + s);
    }
  }

  static float[] abs(float[] x) {
    float[] a = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      a[i] = Math.abs(x[i]);
    }
    return a;
  }

  /**
   * Checks Conv2d's backward passes on {@code s} (weights then bias in one parameter array) against
   * central differences of the loss sum(forward(in) * g); returns the largest difference seen.
   */
  static double finiteDifferences(ConvShape s, Random rnd, double eps) {
    float[] in = Conv2dTest.random(rnd, s.inSize());
    float[] params = Conv2dTest.random(rnd, s.weightSize() + s.k());
    int bOff = s.weightSize();
    float[] g = Conv2dTest.random(rnd, s.outSize());
    float[] ws = new float[Conv2d.workspaceSize(s)];
    float[] dIn = new float[s.inSize()];
    float[] dParams = new float[params.length];
    Conv2d.backwardData(dIn, g, params, 0, s, ws);
    Conv2d.backwardWeights(dParams, 0, dParams, bOff, g, in, s, ws);
    double worst = 0;
    for (int i = 0; i < in.length; i++) {
      double num = Conv2dTest.centralDifference(in, i, eps, () -> loss(s, in, params, bOff, g, ws));
      worst = Math.max(worst, Conv2dTest.checkGradient(num, dIn[i], "dIn[" + i + "] " + s));
    }
    for (int i = 0; i < params.length; i++) {
      double num = Conv2dTest.centralDifference(params, i, eps, () -> loss(s, in, params, bOff, g, ws));
      worst = Math.max(worst, Conv2dTest.checkGradient(num, dParams[i],
          (i < bOff ? "dW[" + i : "dBias[" + (i - bOff)) + "] " + s));
    }
    return worst;
  }

  private static double loss(ConvShape s, float[] in, float[] params, int bOff, float[] g, float[] ws) {
    float[] out = new float[s.outSize()];
    Conv2d.forward(out, in, params, 0, params, bOff, s, ws);
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) out[i] * g[i];
    }
    return sum;
  }
}
