package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The transposed convolution helpers: adjointness with the conv, and finite-difference gradients. */
class Conv2dTransposeTest {

  static final List<ConvShape> SHAPES = List.of(
      new ConvShape(2, 3, 7, 5, 4, 3, 3, 2, 2, 1, 1),
      new ConvShape(1, 2, 4, 6, 3, 1, 1, 1, 1, 0, 0),
      new ConvShape(2, 2, 5, 7, 3, 2, 3, 1, 2, 0, 1),
      new ConvShape(2, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1),     // stride 1: the direct path on the Vector API
      new ConvShape(1, 8, 5, 6, 9, 3, 3, 1, 1, 1, 1));    // 3x3, 8+ channels: Winograd on the Vector API

  /** <conv(a), b> == <a, transposeForward(b)> without bias: the transposed conv is the conv's adjoint. */
  @Test
  void isTheAdjointOfTheConv() {
    Random rnd = new Random(3);
    for (ConvShape s : SHAPES) {
      float[] a = Conv2dTest.random(rnd, s.inSize());
      float[] b = Conv2dTest.random(rnd, s.outSize());
      float[] w = Conv2dTest.random(rnd, s.weightSize());
      float[] ws = new float[Conv2d.workspaceSize(s)];
      float[] convA = new float[s.outSize()];
      float[] transB = Conv2dTest.filled(s.inSize(), Float.NaN);
      ScalarConv2d.forward(convA, a, w, 0, null, 0, s, null);
      Conv2d.transposeForward(transB, b, w, 0, null, 0, s, ws);
      double left = dot(convA, b);
      double right = dot(a, transB);
      assertEquals(left, right, 1e-4 * (1 + Math.abs(left)), "adjoint identity for " + s);
    }
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    Random rnd = new Random(9);
    double worst = 0;
    for (ConvShape s : SHAPES) {
      float[] x = Conv2dTest.random(rnd, s.outSize());
      float[] params = Conv2dTest.random(rnd, s.weightSize() + s.c());
      int bOff = s.weightSize();
      float[] g = Conv2dTest.random(rnd, s.inSize());
      float[] ws = new float[Conv2d.workspaceSize(s)];
      float[] dX = new float[x.length];
      float[] dParams = new float[params.length];
      Conv2d.transposeBackwardData(dX, g, params, 0, s, ws);
      Conv2d.transposeBackwardWeights(dParams, 0, dParams, bOff, g, x, s, ws);
      java.util.function.DoubleSupplier loss = () -> {
        float[] out = new float[s.inSize()];
        Conv2d.transposeForward(out, x, params, 0, params, bOff, s, ws);
        return dot(out, g);
      };
      for (int i = 0; i < x.length; i++) {
        worst = Math.max(worst, Conv2dTest.checkGradient(
            Conv2dTest.centralDifference(x, i, 0.05, loss), dX[i], "dX[" + i + "] " + s));
      }
      for (int i = 0; i < params.length; i++) {
        worst = Math.max(worst, Conv2dTest.checkGradient(
            Conv2dTest.centralDifference(params, i, 0.05, loss), dParams[i], "dParams[" + i + "] " + s));
      }
    }
    System.out.printf("transposed conv backward vs finite differences: largest difference %.3g%n", worst);
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }
}
