package io.convoy.kernels;

import static io.convoy.kernels.VectorOps.checkLength;
import static io.convoy.kernels.VectorOps.checkRange;
import static io.convoy.kernels.VectorOps.checkSize;

/**
 * Batch normalization over (N, C, HW) tensors, per channel, as PyTorch's {@code BatchNorm2d}
 * ({@code HW = 1} gives {@code BatchNorm1d} on (N, C)). Activation arrays start at index 0; gamma,
 * beta and their gradients are slices of the parameter vectors, the running statistics slices of the
 * buffer vector; {@code saveMean} and {@code saveInvStd} hold C values from index 0 and carry the
 * batch statistics from the training forward to the backward. Means and variances are summed in
 * double.
 */
public final class BatchNorm {
  private BatchNorm() {}

  /**
   * Training mode. in and out are (N, C, HW). Normalises with the batch mean and the biased batch
   * variance, {@code out = (in - mean) / sqrt(var + eps) * gamma + beta}, saves mean and 1/sqrt(var + eps),
   * and updates the running statistics: {@code running = (1 - momentum) * running + momentum * batch},
   * with the unbiased variance for {@code runVar}.
   *
   * @throws IllegalArgumentException when a channel has fewer than 2 values (N * HW < 2)
   */
  public static void forwardTraining(float[] out, float[] in, int n, int c, int hw, float[] gamma, int gOff,
      float[] beta, int bOff, float[] runMean, int rmOff, float[] runVar, int rvOff, float[] saveMean,
      float[] saveInvStd, float eps, float momentum) {
    String where = "BatchNorm.forwardTraining";
    long size = checkShape(where, n, c, hw, eps);
    checkLength(where, "in", in, size);
    checkLength(where, "out", out, size);
    checkRange(where, "gamma", gamma, gOff, c);
    checkRange(where, "beta", beta, bOff, c);
    checkRange(where, "runMean", runMean, rmOff, c);
    checkRange(where, "runVar", runVar, rvOff, c);
    checkLength(where, "saveMean", saveMean, c);
    checkLength(where, "saveInvStd", saveInvStd, c);
    if (!(momentum >= 0f && momentum <= 1f)) {
      throw new IllegalArgumentException(where + ": momentum must be in [0, 1], got " + momentum);
    }
    long count = (long) n * hw;
    if (count < 2) {
      throw new IllegalArgumentException(where + ": each channel needs more than 1 value in training"
          + " mode, got N * HW = " + count + " (N = " + n + ", HW = " + hw + ")");
    }
    for (int ch = 0; ch < c; ch++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        int base = (i * c + ch) * hw;
        for (int j = 0; j < hw; j++) {
          sum += in[base + j];
        }
      }
      double mean = sum / count;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        int base = (i * c + ch) * hw;
        for (int j = 0; j < hw; j++) {
          double d = in[base + j] - mean;
          sq += d * d;
        }
      }
      double var = sq / count;
      double invStd = 1.0 / Math.sqrt(var + eps);
      saveMean[ch] = (float) mean;
      saveInvStd[ch] = (float) invStd;
      normalize(out, in, n, c, hw, ch, mean, invStd, gamma[gOff + ch], beta[bOff + ch]);
      double unbiased = sq / (count - 1);
      runMean[rmOff + ch] = (float) ((1.0 - momentum) * runMean[rmOff + ch] + momentum * mean);
      runVar[rvOff + ch] = (float) ((1.0 - momentum) * runVar[rvOff + ch] + momentum * unbiased);
    }
  }

  /** Inference mode: in and out are (N, C, HW), normalised with the running statistics. */
  public static void forwardInference(float[] out, float[] in, int n, int c, int hw, float[] gamma, int gOff,
      float[] beta, int bOff, float[] runMean, int rmOff, float[] runVar, int rvOff, float eps) {
    String where = "BatchNorm.forwardInference";
    long size = checkShape(where, n, c, hw, eps);
    checkLength(where, "in", in, size);
    checkLength(where, "out", out, size);
    checkRange(where, "gamma", gamma, gOff, c);
    checkRange(where, "beta", beta, bOff, c);
    checkRange(where, "runMean", runMean, rmOff, c);
    checkRange(where, "runVar", runVar, rvOff, c);
    for (int ch = 0; ch < c; ch++) {
      double invStd = 1.0 / Math.sqrt((double) runVar[rvOff + ch] + eps);
      normalize(out, in, n, c, hw, ch, runMean[rmOff + ch], invStd, gamma[gOff + ch], beta[bOff + ch]);
    }
  }

  /**
   * Backward of the training forward; ADDS into dIn (N, C, HW), dGamma and dBeta (C). Either of
   * dGamma and dBeta may be null when that parameter is frozen. With {@code xhat = (in - mean) * invStd},
   * M = N * HW values per channel:
   * {@code dIn += gamma * invStd / M * (M * dOut - sum(dOut) - xhat * sum(dOut * xhat))},
   * {@code dGamma += sum(dOut * xhat)}, {@code dBeta += sum(dOut)}.
   */
  public static void backward(float[] dIn, float[] dGamma, int dgOff, float[] dBeta, int dbOff, float[] dOut,
      float[] in, int n, int c, int hw, float[] gamma, int gOff, float[] saveMean, float[] saveInvStd) {
    String where = "BatchNorm.backward";
    long size = checkShape(where, n, c, hw, 0f);
    checkLength(where, "in", in, size);
    checkLength(where, "dOut", dOut, size);
    checkLength(where, "dIn", dIn, size);
    checkRange(where, "gamma", gamma, gOff, c);
    if (dGamma != null) {
      checkRange(where, "dGamma", dGamma, dgOff, c);
    }
    if (dBeta != null) {
      checkRange(where, "dBeta", dBeta, dbOff, c);
    }
    checkLength(where, "saveMean", saveMean, c);
    checkLength(where, "saveInvStd", saveInvStd, c);
    long count = (long) n * hw;
    if (count == 0) {
      return;
    }
    for (int ch = 0; ch < c; ch++) {
      double mean = saveMean[ch];
      double invStd = saveInvStd[ch];
      double sumDy = 0;
      double sumDyXhat = 0;
      for (int i = 0; i < n; i++) {
        int base = (i * c + ch) * hw;
        for (int j = 0; j < hw; j++) {
          double dy = dOut[base + j];
          sumDy += dy;
          sumDyXhat += dy * (in[base + j] - mean) * invStd;
        }
      }
      double k = gamma[gOff + ch] * invStd;
      double meanDy = sumDy / count;
      double meanDyXhat = sumDyXhat / count;
      for (int i = 0; i < n; i++) {
        int base = (i * c + ch) * hw;
        for (int j = 0; j < hw; j++) {
          double xhat = (in[base + j] - mean) * invStd;
          dIn[base + j] += (float) (k * (dOut[base + j] - meanDy - xhat * meanDyXhat));
        }
      }
      if (dGamma != null) {
        dGamma[dgOff + ch] += (float) sumDyXhat;
      }
      if (dBeta != null) {
        dBeta[dbOff + ch] += (float) sumDy;
      }
    }
  }

  // out, in are (N, C, HW); writes channel ch: out = (in - mean) * invStd * gamma + beta
  private static void normalize(float[] out, float[] in, int n, int c, int hw, int ch, double mean,
      double invStd, float gamma, float beta) {
    float scale = (float) (invStd * gamma);
    float shift = (float) (beta - mean * invStd * gamma);
    for (int i = 0; i < n; i++) {
      int base = (i * c + ch) * hw;
      for (int j = 0; j < hw; j++) {
        out[base + j] = in[base + j] * scale + shift;
      }
    }
  }

  private static long checkShape(String where, int n, int c, int hw, float eps) {
    checkSize(where, "n", n);
    checkSize(where, "c", c);
    checkSize(where, "hw", hw);
    if (!(eps >= 0f)) {
      throw new IllegalArgumentException(where + ": eps must be >= 0, got " + eps);
    }
    return (long) n * c * hw;
  }
}
