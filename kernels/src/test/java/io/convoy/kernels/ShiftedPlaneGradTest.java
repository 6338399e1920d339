package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ShiftedPlaneGrad's weight and bias gradients against ScalarConv2d's, called directly (so these shapes
 * are checked whichever path Conv2d dispatches them to), at sizes that exercise its corners: 1 to 9
 * taps, paddings on either axis, an odd channel count, output planes that are not a multiple of the
 * lane count, one image and several; adding into non-zero gradients; a NaN-filled workspace.
 */
class ShiftedPlaneGradTest {

  static final List<ConvShape> SHAPES = List.of(
      new ConvShape(3, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1),    // the reference CNN's conv1 (784 = 49 vectors)
      new ConvShape(2, 1, 9, 7, 5, 3, 3, 1, 1, 1, 1),       // odd K, 63 outputs: a tail of positions
      new ConvShape(1, 1, 6, 11, 4, 3, 3, 1, 1, 0, 2),      // padding on one axis only
      new ConvShape(2, 1, 13, 5, 3, 3, 3, 1, 1, 2, 0),      // padding 2 on the other
      new ConvShape(2, 2, 8, 8, 6, 2, 2, 1, 1, 1, 0),       // 8 taps over 2 channels
      new ConvShape(3, 9, 5, 6, 2, 1, 1, 1, 1, 0, 0),       // 1x1 kernel, 9 channels
      new ConvShape(1, 1, 20, 3, 7, 1, 3, 1, 1, 0, 1));     // 1 x 3 kernel on a narrow image

  private static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 2 - 1;
    }
    return a;
  }

  @Test
  void matchesScalarTwin() {
    assumeTrue(Backend.VECTOR, "Vector API kernels");
    Random rnd = new Random(3);
    double worst = 0;
    for (ConvShape s : SHAPES) {
      assertTrue(ShiftedPlaneGrad.applies(s), s.toString());
      float[] in = random(rnd, s.inSize());
      float[] dOut = random(rnd, s.outSize());
      int dwOff = 3;
      int dbOff = 5;
      float[] dW = random(rnd, dwOff + s.weightSize() + 2);
      float[] dB = random(rnd, dbOff + s.k() + 2);
      float[] refW = dW.clone();
      float[] refB = dB.clone();
      float[] ws = new float[(int) ShiftedPlaneGrad.workspaceSize(s)];
      Arrays.fill(ws, Float.NaN);
      ShiftedPlaneGrad.backwardWeights(dW, dwOff, dB, dbOff, dOut, in, s, ws);
      ScalarConv2d.backwardWeights(refW, dwOff, refB, dbOff, dOut, in, s, null);
      // sums of |terms|, plus the starting values
      float[] magW = ConvChecks.abs(refW);
      float[] magB = ConvChecks.abs(refB);
      float[] zeroW = new float[magW.length];
      float[] zeroB = new float[magB.length];
      ScalarConv2d.backwardWeights(zeroW, dwOff, zeroB, dbOff, ConvChecks.abs(dOut), ConvChecks.abs(in), s, null);
      for (int i = 0; i < magW.length; i++) {
        magW[i] += zeroW[i];
      }
      for (int i = 0; i < magB.length; i++) {
        magB[i] += zeroB[i];
      }
      worst = Math.max(worst, ConvChecks.termBound(refW, dW, magW, 1e-5, "dW " + s));
      worst = Math.max(worst, ConvChecks.termBound(refB, dB, magB, 1e-5, "dBias " + s));
    }
    System.out.printf("ShiftedPlaneGrad vs ScalarConv2d: largest |difference| / (sum |terms| + 1e-3) %.2e%n", worst);
  }

  @Test
  void withoutBiasLeavesNothingElseTouched() {
    assumeTrue(Backend.VECTOR, "Vector API kernels");
    ConvShape s = SHAPES.get(1);
    Random rnd = new Random(5);
    float[] in = random(rnd, s.inSize());
    float[] dOut = random(rnd, s.outSize());
    float[] dW = new float[s.weightSize() + 4];
    float[] ref = new float[s.weightSize() + 4];
    ShiftedPlaneGrad.backwardWeights(dW, 2, null, 0, dOut, in, s, new float[(int) ShiftedPlaneGrad.workspaceSize(s)]);
    ScalarConv2d.backwardWeights(ref, 2, null, 0, dOut, in, s, null);
    float[] mag = new float[ref.length];
    ScalarConv2d.backwardWeights(mag, 2, null, 0, ConvChecks.abs(dOut), ConvChecks.abs(in), s, null);
    ConvChecks.termBound(ref, dW, mag, 1e-5, "dW without bias");
    assertTrue(dW[0] == 0 && dW[1] == 0 && dW[dW.length - 1] == 0 && dW[dW.length - 2] == 0, "slots outside dW");
  }

  @Test
  void appliesOnlyToStrideOneWithFewTaps() {
    assertFalse(ShiftedPlaneGrad.applies(new ConvShape(1, 2, 8, 8, 4, 3, 3, 1, 1, 1, 1)), "18 taps");
    assertFalse(ShiftedPlaneGrad.applies(new ConvShape(1, 1, 9, 9, 4, 3, 3, 2, 2, 1, 1)), "stride 2");
    assertFalse(ShiftedPlaneGrad.applies(new ConvShape(1, 1, 3, 3, 4, 3, 3, 1, 1, 0, 0)), "one output position");
  }
}
