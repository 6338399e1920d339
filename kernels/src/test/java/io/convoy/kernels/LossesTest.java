package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Losses: gradients against finite differences of the loss, stability, label and range errors. */
class LossesTest {
  private static void checkGrad(String name, float[] x, float[] analytic, java.util.function.ToDoubleFunction<float[]> loss) {
    double h = 1e-3;
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      float keep = x[i];
      x[i] = (float) (keep + h);
      double plus = loss.applyAsDouble(x);
      x[i] = (float) (keep - h);
      double minus = loss.applyAsDouble(x);
      x[i] = keep;
      double numeric = (plus - minus) / (2 * h);
      double d = Math.abs(numeric - analytic[i]);
      worst = Math.max(worst, d);
      assertTrue(d <= 1e-3 + 1e-2 * Math.abs(numeric), name + "[" + i + "]: " + analytic[i] + " vs " + numeric);
    }
    System.out.printf("%-32s gradient vs finite differences max abs diff %.3g%n", name, worst);
  }

  @Test
  void softmaxCrossEntropyGradientAndProbs() {
    SplittableRandom rng = new SplittableRandom(61);
    int rows = 5;
    int cols = 7;
    float[] logits = random(rng, rows * cols, -3, 3);
    int[] labels = {0, 6, 3, 3, 1};
    float[] d = new float[rows * cols];
    float[] probs = new float[rows * cols];
    float loss = Losses.softmaxCrossEntropy(d, probs, logits, labels, rows, cols);
    double expected = 0;
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        sum += Math.exp(logits[r * cols + j]);
      }
      expected -= Math.log(Math.exp(logits[r * cols + labels[r]]) / sum) / rows;
      assertEquals(Math.exp(logits[r * cols + 2]) / sum, probs[r * cols + 2], 1e-6);
    }
    assertEquals(expected, loss, 1e-5);
    float[] scratchD = new float[rows * cols];
    float[] scratchP = new float[rows * cols];
    checkGrad("Losses.softmaxCrossEntropy", logits, d,
        x -> Losses.softmaxCrossEntropy(scratchD, scratchP, x, labels, rows, cols));
  }

  @Test
  void softmaxCrossEntropyIsStableForLargeLogits() {
    float[] logits = {40f, -40f, 0f, -35f, 38f, 1f};
    float[] d = new float[6];
    float[] p = new float[6];
    float loss = Losses.softmaxCrossEntropy(d, p, logits, new int[] {1, 0}, 2, 3);
    // row 0: -log softmax(-40) ~ 80; row 1: -log softmax(-35) ~ 73
    double r0 = 40 + Math.log1p(Math.exp(-80) + Math.exp(-40)) + 40;
    double r1 = 38 + Math.log1p(Math.exp(-73) + Math.exp(-37)) + 35;
    assertEquals((r0 + r1) / 2, loss, 1e-4);
    assertEquals(-0.5f, d[1], 1e-6f);
    assertEquals(0.5f, d[0], 1e-6f);
  }

  @Test
  void softmaxCrossEntropyRejectsBadLabels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(new float[6], new float[6], new float[6], new int[] {1, 3}, 2, 3));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("3")
        && e.getMessage().contains("[0, 3)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(new float[6], new float[6], new float[6], new int[] {-1, 0}, 2, 3));
    assertTrue(e.getMessage().contains("row 0") && e.getMessage().contains("-1"), e.getMessage());
  }

  @Test
  void binaryCrossEntropyGradientClampAndRange() {
    SplittableRandom rng = new SplittableRandom(62);
    int n = 23;
    float[] x = random(rng, n, 0.05, 0.95);
    float[] t = random(rng, n, 0, 1);
    float[] d = new float[n];
    Losses.binaryCrossEntropy(d, x, t, n);
    float[] scratch = new float[n];
    checkGrad("Losses.binaryCrossEntropy", x, d, xx -> Losses.binaryCrossEntropy(scratch, xx, t, n));

    // log(0) is clamped to -100: target 1 at probability 0 costs 100
    float[] g = new float[1];
    assertEquals(100f, Losses.binaryCrossEntropy(g, new float[] {0f}, new float[] {1f}, 1), 1e-4f);
    assertTrue(Float.isFinite(g[0]) && g[0] < 0, "gradient finite and negative, got " + g[0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.binaryCrossEntropy(new float[2], new float[] {0.5f, 1.5f}, new float[2], 2));
    assertTrue(e.getMessage().contains("in[1]") && e.getMessage().contains("1.5"), e.getMessage());
  }

  @Test
  void meanSquaredErrorValueAndGradient() {
    SplittableRandom rng = new SplittableRandom(63);
    int n = 19;
    float[] x = random(rng, n, -2, 2);
    float[] t = random(rng, n, -2, 2);
    float[] d = new float[n];
    float loss = Losses.meanSquaredError(d, x, t, n);
    double expected = 0;
    for (int i = 0; i < n; i++) {
      expected += (x[i] - t[i]) * (double) (x[i] - t[i]) / n;
    }
    assertEquals(expected, loss, 1e-6);
    float[] scratch = new float[n];
    checkGrad("Losses.meanSquaredError", x, d, xx -> Losses.meanSquaredError(scratch, xx, t, n));
  }
}
