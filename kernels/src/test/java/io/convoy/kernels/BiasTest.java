package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Bias: broadcast adds against plain loops, gradients against finite differences and plain sums. */
class BiasTest {
  @Test
  void addChannelsAndRowsMatchPlainLoops() {
    SplittableRandom rng = new SplittableRandom(41);
    int[][] shapes = {{1, 1, 1}, {2, 3, 7}, {3, 2, 17}, {2, 5, 1023}};
    for (int[] sh : shapes) {
      int n = sh[0];
      int c = sh[1];
      int hw = sh[2];
      float[] bias = random(rng, c + 2, -1, 1);
      float[] x = random(rng, n * c * hw, -1, 1);
      float[] out = x.clone();
      Bias.addChannels(out, n, c, hw, bias, 2 - 0);
      for (int i = 0; i < n * c * hw; i++) {
        int ch = (i / hw) % c;
        assertEquals(x[i] + bias[2 + ch], out[i], 0f, "addChannels at " + i);
      }
      int rows = n * hw;
      float[] rowsOut = x.clone();
      Bias.addRows(rowsOut, rows, c, bias, 1);
      for (int i = 0; i < rows * c; i++) {
        assertEquals(x[i] + bias[1 + i % c], rowsOut[i], 0f, "addRows at " + i);
      }
    }
  }

  @Test
  void gradientsAreSumsAndAdd() {
    SplittableRandom rng = new SplittableRandom(42);
    int n = 3;
    int c = 4;
    int hw = 19;
    float[] dOut = random(rng, n * c * hw, -1, 1);
    float[] dBias = {9f, 0.5f, -0.5f, 1f, 2f, 9f};
    float[] start = dBias.clone();
    Bias.backwardChannels(dBias, 1, dOut, n, c, hw);
    double worst = 0;
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          s += dOut[(i * c + ch) * hw + j];
        }
      }
      worst = Math.max(worst, Math.abs(start[1 + ch] + s - dBias[1 + ch]));
      assertEquals(start[1 + ch] + s, dBias[1 + ch], 1e-5, "dBias[" + ch + "] adds the channel sum");
    }
    assertEquals(9f, dBias[0]);
    assertEquals(9f, dBias[5]);

    int rows = n * hw;
    float[] dRow = {0.25f, 0f, 0f, 0f, 0f};
    Bias.backwardRows(dRow, 1, dOut, rows, c);
    for (int j = 0; j < c; j++) {
      double s = 0;
      for (int r = 0; r < rows; r++) {
        s += dOut[r * c + j];
      }
      worst = Math.max(worst, Math.abs(s - dRow[1 + j]));
      assertEquals(s, dRow[1 + j], 1e-5, "dBias[" + j + "] of rows");
    }
    assertEquals(0.25f, dRow[0]);

    // finite differences: d/d bias of sum(out * dOut) (linear, so central differences are exact up to rounding)
    float[] b = random(rng, c, -1, 1);
    float[] out = new float[n * c * hw];
    double[] numeric = ActivationsTest.numericGrad(b, dOut, bb -> {
      java.util.Arrays.fill(out, 0f);
      Bias.addChannels(out, n, c, hw, bb, 0);
    }, out, 1e-2);
    float[] analytic = new float[c];
    Bias.backwardChannels(analytic, 0, dOut, n, c, hw);
    ActivationsTest.assertGradClose("Bias.channels", analytic, new float[c], numeric);
    System.out.printf("BiasTest gradient vs double sums max abs diff %.3g%n", worst);
  }

  @Test
  void errorsNameTheArray() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Bias.addChannels(new float[24], 2, 3, 4, new float[3], 1));
    assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("[1, 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Bias.addRows(new float[5], 2, 3, new float[3], 0));
    assertTrue(e.getMessage().contains("out") && e.getMessage().contains("6"), e.getMessage());
  }
}
