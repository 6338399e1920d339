package io.convoy.pipeline.spark;

import java.util.Arrays;

/**
 * The result of evaluating a model on a labelled data set.
 *
 * @param accuracy fraction of examples whose arg-max prediction equals the label
 * @param loss mean loss over all examples
 * @param confusion counts indexed {@code [true class][predicted class]}
 * @param precision per predicted class: correct / predicted (0 when the class was never predicted)
 * @param recall per true class: correct / present (0 when the class never occurs)
 * @param count number of examples evaluated
 */
public record Evaluation(double accuracy, double loss, long[][] confusion, double[] precision, double[] recall, long count) {

  public Evaluation {
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
  }

  /** Number of classes. */
  public int classes() {
    return confusion.length;
  }

  /** Builds the evaluation from a confusion matrix and the summed loss over all examples. */
  public static Evaluation fromConfusion(long[][] confusion, double lossSum) {
    int k = confusion.length;
    long total = 0;
    long correct = 0;
    long[] predicted = new long[k];
    long[] actual = new long[k];
    for (int t = 0; t < k; t++) {
      for (int p = 0; p < k; p++) {
        long c = confusion[t][p];
        total += c;
        predicted[p] += c;
        actual[t] += c;
        if (t == p) {
          correct += c;
        }
      }
    }
    double[] precision = new double[k];
    double[] recall = new double[k];
    for (int c = 0; c < k; c++) {
      precision[c] = predicted[c] == 0 ? 0 : (double) confusion[c][c] / predicted[c];
      recall[c] = actual[c] == 0 ? 0 : (double) confusion[c][c] / actual[c];
    }
    double acc = total == 0 ? 0 : (double) correct / total;
    double loss = total == 0 ? 0 : lossSum / total;
    return new Evaluation(acc, loss, confusion, precision, recall, total);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "Evaluation[count=%d, accuracy=%.4f, loss=%.4f, precision=%s, recall=%s]",
        count, accuracy, loss, Arrays.toString(precision), Arrays.toString(recall));
  }
}
