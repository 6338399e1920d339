package io.convoy.kernels;

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
