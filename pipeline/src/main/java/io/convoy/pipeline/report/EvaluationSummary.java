package io.convoy.pipeline.report;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.Network;
import java.util.Arrays;

/**
 * A model's results on a labelled set, as the report shows them: accuracy, loss, the confusion
 * matrix {@code [true class][predicted class]} and per-class precision and recall.
 *
 * @param accuracy fraction predicted right
 * @param loss mean loss per example (NaN when unknown)
 * @param count examples evaluated
 * @param confusion counts, {@code confusion[t][p]} examples of class t predicted as p
 * @param precision per predicted class: right / predicted (0 when never predicted)
 * @param recall per true class: right / present (0 when never present)
 */
public record EvaluationSummary(double accuracy, double loss, long count, long[][] confusion, double[] precision,
    double[] recall) {

  public EvaluationSummary {
    if (confusion == null || confusion.length == 0) {
      throw new IllegalArgumentException("evaluation: the confusion matrix is missing or empty");
    }
    int k = confusion.length;
    for (int i = 0; i < k; i++) {
      if (confusion[i] == null || confusion[i].length != k) {
        throw new IllegalArgumentException("evaluation: confusion matrix row " + i + " has "
            + (confusion[i] == null ? "no" : String.valueOf(confusion[i].length)) + " columns, expected " + k);
      }
    }
    if (precision == null || precision.length != k || recall == null || recall.length != k) {
      throw new IllegalArgumentException("evaluation: precision and recall must hold " + k + " classes, got "
          + (precision == null ? "none" : precision.length) + " and " + (recall == null ? "none" : recall.length));
    }
    confusion = Arrays.stream(confusion).map(long[]::clone).toArray(long[][]::new);
    precision = precision.clone();
    recall = recall.clone();
  }

  /** Number of classes. */
  public int classes() {
    return confusion.length;
  }

  /** Accuracy, precision and recall derived from a confusion matrix {@code [true][predicted]}. */
  public static EvaluationSummary fromConfusion(long[][] confusion, double loss) {
    int k = confusion.length;
    long total = 0;
    long right = 0;
    long[] predicted = new long[k];
    long[] present = new long[k];
    for (int t = 0; t < k; t++) {
      if (confusion[t].length != k) {
        throw new IllegalArgumentException("evaluation: confusion matrix row " + t + " has " + confusion[t].length
            + " columns, expected " + k);
      }
      for (int p = 0; p < k; p++) {
        long c = confusion[t][p];
        total += c;
        predicted[p] += c;
        present[t] += c;
        if (t == p) {
          right += c;
        }
      }
    }
    double[] precision = new double[k];
    double[] recall = new double[k];
    for (int c = 0; c < k; c++) {
      precision[c] = predicted[c] == 0 ? 0 : (double) confusion[c][c] / predicted[c];
      recall[c] = present[c] == 0 ? 0 : (double) confusion[c][c] / present[c];
    }
    return new EvaluationSummary(total == 0 ? Double.NaN : (double) right / total, loss, total, confusion,
        precision, recall);
  }

  /**
   * Evaluates parameters on a set in inference mode (arg-max of the model's output) in chunks of
   * up to 256 examples; {@code norm} turns raw pixels into the model's input.
   */
  public static EvaluationSummary evaluate(Network net, float[] params, float[] buffers, ImageSet set,
      Normalization norm) {
    int k = net.spec().numClasses();
    if (!set.shape().equals(net.spec().input())) {
      throw new IllegalArgumentException("evaluation set holds images of shape " + set.shape()
          + ", the model input is " + net.spec().input());
    }
    int chunk = Math.min(net.maxBatch(), Math.max(1, set.size()));
    int size = set.imageSize();
    float[] x = new float[chunk * size];
    float[] probs = new float[chunk * k];
    int[] labels = new int[chunk];
    long[][] confusion = new long[k][k];
    double lossSum = 0;
    for (int from = 0; from < set.size(); from += chunk) {
      int b = Math.min(chunk, set.size() - from);
      Pictures.normalize(set, norm, from, b, x);
      for (int i = 0; i < b; i++) {
        labels[i] = set.labels()[from + i];
      }
      lossSum += net.evaluate(params, buffers, x, labels, b) * b;
      net.predict(params, buffers, x, b, probs);
      for (int i = 0; i < b; i++) {
        int best = 0;
        for (int c = 1; c < k; c++) {
          if (probs[i * k + c] > probs[i * k + best]) {
            best = c;
          }
        }
        int t = labels[i];
        if (t < 0 || t >= k) {
          throw new IllegalArgumentException("evaluation set record " + (from + i) + " has label " + t
              + ", expected 0.." + (k - 1));
        }
        confusion[t][best]++;
      }
    }
    return fromConfusion(confusion, set.size() == 0 ? Double.NaN : lossSum / set.size());
  }
}
