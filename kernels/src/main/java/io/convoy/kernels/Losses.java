package io.convoy.kernels;

import static io.convoy.kernels.VectorOps.checkLength;
import static io.convoy.kernels.VectorOps.checkSize;

/**
 * Losses with mean reduction, as PyTorch defines them. Each returns the loss and WRITES (does not
 * add) the gradient with respect to its input, since a loss starts the backward pass. Arrays start at
 * index 0. Sums are taken in double.
 */
public final class Losses {
  /** PyTorch clamps each log term of the binary cross entropy to at least this. */
  private static final double LOG_FLOOR = -100.0;
  /** PyTorch's floor for {@code x * (1 - x)} in the binary cross entropy gradient. */
  private static final double BCE_GRAD_EPS = 1e-12;

  private Losses() {}

  /**
   * Softmax plus cross entropy, fused: {@code loss = mean_r(logsumexp(logits_r) - logits_r[label_r])}.
   * logits, probs and dLogits are (rows, cols); labels is (rows) with class indices in [0, cols).
   * Writes {@code probs} (row softmax) and {@code dLogits = (probs - onehot(labels)) / rows}.
   * Stable for large logits (the row max is subtracted before exp).
   *
   * @throws IllegalArgumentException when a label is outside [0, cols), naming its row and value
   */
  public static float softmaxCrossEntropy(float[] dLogits, float[] probs, float[] logits, int[] labels,
      int rows, int cols) {
    String where = "Losses.softmaxCrossEntropy";
    checkSize(where, "rows", rows);
    if (cols <= 0) {
      throw new IllegalArgumentException(where + ": cols (classes) must be > 0, got " + cols);
    }
    long n = (long) rows * cols;
    checkLength(where, "logits", logits, n);
    checkLength(where, "probs", probs, n);
    checkLength(where, "dLogits", dLogits, n);
    if (labels == null || labels.length < rows) {
      throw new IllegalArgumentException(where + ": labels needs " + rows + " elements, has "
          + (labels == null ? "null" : labels.length));
    }
    for (int r = 0; r < rows; r++) {
      if (labels[r] < 0 || labels[r] >= cols) {
        throw new IllegalArgumentException(where + ": label of row " + r + " is " + labels[r]
            + ", expected a class index in [0, " + cols + ")");
      }
    }
    if (rows == 0) {
      return 0f;
    }
    double total = 0;
    float invRows = 1f / rows;
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        max = Math.max(max, logits[base + j]);
      }
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        double e = Math.exp((double) logits[base + j] - max);
        probs[base + j] = (float) e;
        sum += e;
      }
      double inv = 1.0 / sum;
      for (int j = 0; j < cols; j++) {
        float p = (float) (probs[base + j] * inv);
        probs[base + j] = p;
        dLogits[base + j] = p * invRows;
      }
      int label = labels[r];
      dLogits[base + label] = (probs[base + label] - 1f) * invRows;
      // -log p_label = log(sum) + max - logit_label, without forming a tiny p_label
      total += Math.log(sum) + max - logits[base + label];
    }
    return (float) (total / rows);
  }

  /**
   * Binary cross entropy on probabilities: {@code loss = -mean(t log x + (1 - t) log(1 - x))}, each
   * log clamped to at least -100 as in PyTorch. in, target and dIn are (n); writes
   * {@code dIn = (x - t) / max(x (1 - x), 1e-12) / n}.
   *
   * @throws IllegalArgumentException when an input is not a probability in [0, 1]
   */
  public static float binaryCrossEntropy(float[] dIn, float[] in, float[] target, int n) {
    String where = "Losses.binaryCrossEntropy";
    checkSize(where, "n", n);
    checkLength(where, "in", in, n);
    checkLength(where, "target", target, n);
    checkLength(where, "dIn", dIn, n);
    if (n == 0) {
      return 0f;
    }
    double total = 0;
    double invN = 1.0 / n;
    for (int i = 0; i < n; i++) {
      double x = in[i];
      if (!(x >= 0.0 && x <= 1.0)) {
        throw new IllegalArgumentException(where + ": in[" + i + "] is " + in[i]
            + ", expected a probability in [0, 1]");
      }
      double t = target[i];
      double logX = Math.max(Math.log(x), LOG_FLOOR);
      double log1mX = Math.max(Math.log1p(-x), LOG_FLOOR);
      total -= t * logX + (1.0 - t) * log1mX;
      dIn[i] = (float) ((x - t) / Math.max(x * (1.0 - x), BCE_GRAD_EPS) * invN);
    }
    return (float) (total * invN);
  }

  /**
   * Mean squared error: {@code loss = mean((x - t)^2)}. in, target and dIn are (n); writes
   * {@code dIn = 2 (x - t) / n}.
   */
  public static float meanSquaredError(float[] dIn, float[] in, float[] target, int n) {
    String where = "Losses.meanSquaredError";
    checkSize(where, "n", n);
    checkLength(where, "in", in, n);
    checkLength(where, "target", target, n);
    checkLength(where, "dIn", dIn, n);
    if (n == 0) {
      return 0f;
    }
    double total = 0;
    float scale = 2f / n;
    for (int i = 0; i < n; i++) {
      float d = in[i] - target[i];
      total += (double) d * d;
      dIn[i] = d * scale;
    }
    return (float) (total / n);
  }
}
