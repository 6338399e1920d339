package io.convoy.pipeline.train;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one epoch of training measured. Accuracies are fractions in [0, 1]; NaN where not measured
 * (no validation or test set). Times are wall-clock seconds; the local trainer has no communication
 * and reports 0 for it and for waiting.
 *
 * @param epoch 0-based epoch
 * @param loss mean training loss over the epoch's batches (weighted by batch size)
 * @param trainAccuracy fraction of training examples predicted right during the epoch (training mode)
 * @param valAccuracy validation accuracy after the epoch, NaN without a validation set
 * @param testAccuracy test accuracy after the epoch, NaN when not measured
 * @param imagesPerSecond training images per second of the epoch's compute
 * @param computeSeconds time spent computing (forward, backward, optimizer)
 * @param communicationSeconds time spent moving parameters (distributed trainers)
 * @param waitSeconds time spent waiting for others (distributed trainers)
 * @param learningRate the rate of the epoch's last step
 */
public record EpochMetrics(int epoch, double loss, double trainAccuracy, double valAccuracy, double testAccuracy,
    double imagesPerSecond, double computeSeconds, double communicationSeconds, double waitSeconds,
    double learningRate) implements Serializable {

  /** The fields by name (for JSON, logs and checkpoint headers). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epoch", epoch);
    m.put("loss", loss);
    m.put("train-accuracy", trainAccuracy);
    m.put("val-accuracy", valAccuracy);
    m.put("test-accuracy", testAccuracy);
    m.put("images-per-second", imagesPerSecond);
    m.put("compute-seconds", computeSeconds);
    m.put("communication-seconds", communicationSeconds);
    m.put("wait-seconds", waitSeconds);
    m.put("learning-rate", learningRate);
    return m;
  }

  /** Reads {@link #toMap()}'s form; missing numbers become NaN (0 for the epoch). */
  public static EpochMetrics fromMap(Map<String, ?> m) {
    return new EpochMetrics((int) num(m, "epoch", 0), num(m, "loss", Double.NaN), num(m, "train-accuracy", Double.NaN),
        num(m, "val-accuracy", Double.NaN), num(m, "test-accuracy", Double.NaN),
        num(m, "images-per-second", Double.NaN), num(m, "compute-seconds", Double.NaN),
        num(m, "communication-seconds", Double.NaN), num(m, "wait-seconds", Double.NaN),
        num(m, "learning-rate", Double.NaN));
  }

  private static double num(Map<String, ?> m, String key, double dflt) {
    Object v = m.get(key);
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {   // NaN and infinities travel as strings in JSON
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e) {
        return dflt;
      }
    }
    return dflt;
  }

  /** One line for logs: epoch, loss, accuracies, images/s, learning rate. */
  public String summary() {
    return String.format("epoch %d: loss %.4f, train acc %.4f, val acc %.4f, test acc %.4f, %.0f images/s, "
        + "compute %.1f s, lr %.3g", epoch, loss, trainAccuracy, valAccuracy, testAccuracy, imagesPerSecond,
        computeSeconds, learningRate);
  }
}
