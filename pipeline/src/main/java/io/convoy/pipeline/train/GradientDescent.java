package io.convoy.pipeline.train;

import java.util.Locale;

/**
 * How many examples each optimizer step sees.
 * <ul>
 *   <li>{@link #MINI_BATCH}: {@code train.batch-size} examples per step, the last batch of an epoch
 *       possibly shorter;</li>
 *   <li>{@link #STOCHASTIC}: one example per step;</li>
 *   <li>{@link #FULL_BATCH}: the whole training set per step (one step per epoch), its gradient
 *       accumulated over chunks of the workspace batch so memory stays bounded.</li>
 * </ul>
 */
public enum GradientDescent {
  MINI_BATCH, STOCHASTIC, FULL_BATCH;

  /** Examples per step for a configured batch size and a training set of {@code datasetSize}. */
  public int stepBatch(int batchSize, int datasetSize) {
    return switch (this) {
      case MINI_BATCH -> batchSize;
      case STOCHASTIC -> 1;
      case FULL_BATCH -> Math.max(1, datasetSize);
    };
  }

  /** The config name ({@code "mini-batch"}, {@code "stochastic"}, {@code "full-batch"}). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses a config value (case-insensitive, '-' or '_'); {@code key} names the config key in errors. */
  public static GradientDescent parse(String value, String key) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (GradientDescent g : values()) {
        if (g.name().equals(v)) {
          return g;
        }
      }
    }
    throw new IllegalArgumentException(key + " must be one of mini-batch, stochastic, full-batch, got " + value);
  }
}
