package io.convoy.pipeline.report;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.spark.Evaluation;

/** Evaluates a model on the report's sample images when the run left no {@code evaluation.json}. */
final class SampleEvaluation {
  private SampleEvaluation() {}

  /**
   * Evaluates parameters on a set in inference mode (arg-max of the model's output) in chunks of
   * up to 256 examples; {@code norm} turns raw pixels into the model's input.
   */
  static Evaluation evaluate(Network net, float[] params, float[] buffers, ImageSet set,
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
    return Evaluation.fromConfusion(confusion, lossSum);
  }
}
