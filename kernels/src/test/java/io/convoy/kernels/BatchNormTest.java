package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BatchNorm: statistics, running updates, inference, backward against finite differences. */
class BatchNormTest {
  private static final float EPS = 1e-5f;

  @Test
  void trainingNormalisesAndUpdatesRunningStats() {
    SplittableRandom rng = new SplittableRandom(71);
    int n = 3;
    int c = 2;
    int hw = 5;
    float[] in = random(rng, n * c * hw, -2, 4);
    float[] out = new float[in.length];
    float[] gamma = {9f, 1.5f, -0.5f};
    float[] beta = {9f, 0.25f, 2f};
    float[] rm = {0f, 0f};
    float[] rv = {1f, 1f};
    float[] saveMean = new float[c];
    float[] saveInvStd = new float[c];
    BatchNorm.forwardTraining(out, in, n, c, hw, gamma, 1, beta, 1, rm, 0, rv, 0, saveMean, saveInvStd, EPS, 0.1f);
    for (int ch = 0; ch < c; ch++) {
      double sum = 0;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          sum += in[(i * c + ch) * hw + j];
        }
      }
      double mean = sum / (n * hw);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          double dd = in[(i * c + ch) * hw + j] - mean;
          sq += dd * dd;
        }
      }
      double var = sq / (n * hw);
      assertEquals(mean, saveMean[ch], 1e-6);
      assertEquals(1 / Math.sqrt(var + EPS), saveInvStd[ch], 1e-5);
      assertEquals(0.1 * mean, rm[ch], 1e-6);
      assertEquals(0.9 + 0.1 * sq / (n * hw - 1), rv[ch], 1e-6, "running var uses the unbiased variance");
      double outSum = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          int k = (i * c + ch) * hw + j;
          assertEquals((in[k] - mean) / Math.sqrt(var + EPS) * gamma[1 + ch] + beta[1 + ch], out[k], 1e-5);
          outSum += out[k];
        }
      }
      assertEquals(beta[1 + ch], outSum / (n * hw), 1e-5);
    }

    // inference with those running stats
    BatchNorm.forwardInference(out, in, n, c, hw, gamma, 1, beta, 1, rm, 0, rv, 0, EPS);
    // element 7 is (i = 0, ch = 1, j = 2)
    assertEquals((in[7] - rm[1]) / Math.sqrt(rv[1] + EPS) * gamma[2] + beta[2], out[7], 1e-5);
    assertEquals((in[2] - rm[0]) / Math.sqrt(rv[0] + EPS) * gamma[1] + beta[1], out[2], 1e-5);
  }

  @Test
  void backwardMatchesFiniteDifferencesAndAdds() {
    SplittableRandom rng = new SplittableRandom(72);
    int n = 2;
    int c = 3;
    int hw = 4;
    int size = n * c * hw;
    float[] in = random(rng, size, -2, 2);
    float[] gamma = random(rng, c, 0.5, 1.5);
    float[] beta = random(rng, c, -1, 1);
    float[] dOut = random(rng, size, -1, 1);
    float[] out = new float[size];
    float[] saveMean = new float[c];
    float[] saveInvStd = new float[c];
    float[] rm = new float[c];
    float[] rv = new float[c];
    BatchNorm.forwardTraining(out, in, n, c, hw, gamma, 0, beta, 0, rm, 0, rv, 0, saveMean, saveInvStd, EPS, 0.1f);
    float[] dInBase = random(rng, size, -1, 1);
    float[] dIn = dInBase.clone();
    float[] dGamma = {0.5f, 0.5f, 0.5f};
    float[] dBeta = {-0.5f, -0.5f, -0.5f};
    BatchNorm.backward(dIn, dGamma, 0, dBeta, 0, dOut, in, n, c, hw, gamma, 0, saveMean, saveInvStd);

    float[] o = new float[size];
    float[] sm = new float[c];
    float[] si = new float[c];
    float[] r1 = new float[c];
    float[] r2 = new float[c];
    ActivationsTest.assertGradClose("BatchNorm.dIn", dIn, dInBase, ActivationsTest.numericGrad(in, dOut,
        x -> BatchNorm.forwardTraining(o, x, n, c, hw, gamma, 0, beta, 0, r1, 0, r2, 0, sm, si, EPS, 0.1f), o, 1e-3));
    ActivationsTest.assertGradClose("BatchNorm.dGamma", dGamma, new float[] {0.5f, 0.5f, 0.5f},
        ActivationsTest.numericGrad(gamma, dOut,
            x -> BatchNorm.forwardTraining(o, in, n, c, hw, x, 0, beta, 0, r1, 0, r2, 0, sm, si, EPS, 0.1f), o, 1e-3));
    ActivationsTest.assertGradClose("BatchNorm.dBeta", dBeta, new float[] {-0.5f, -0.5f, -0.5f},
        ActivationsTest.numericGrad(beta, dOut,
            x -> BatchNorm.forwardTraining(o, in, n, c, hw, gamma, 0, x, 0, r1, 0, r2, 0, sm, si, EPS, 0.1f), o, 1e-3));
  }

  @Test
  void rejectsSingleValuePerChannelInTraining() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BatchNorm.forwardTraining(new float[2], new float[2], 1, 2, 1, new float[2], 0, new float[2], 0,
            new float[2], 0, new float[2], 0, new float[2], new float[2], EPS, 0.1f));
    assertTrue(e.getMessage().contains("N * HW = 1"), e.getMessage());
  }
}
