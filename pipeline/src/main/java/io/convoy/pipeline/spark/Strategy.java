package io.convoy.pipeline.spark;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the Spark trainer combines the work of its partitions.
 * <ul>
 *   <li>{@link #PARAMETER_AVERAGING}: every partition trains its own replica for a number of
 *       mini-batches, then the driver averages parameters (and, if asked, buffers and optimizer
 *       state) and sends the average back.</li>
 *   <li>{@link #SYNC_SGD}: every step, each partition computes the gradient of its share of the
 *       global mini-batch; the driver sums them and makes one optimizer step.</li>
 * </ul>
 */
public enum Strategy {
  PARAMETER_AVERAGING, SYNC_SGD;

  /** Name used in config files: {@code parameter_averaging}, {@code sync_sgd}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a config value (case-insensitive, {@code '-'} accepted for {@code '_'}); {@code key} names the config key. */
  public static Strategy parse(String value, String key) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (Strategy s : values()) {
        if (s.name().equals(v)) {
          return s;
        }
      }
    }
    throw new IllegalArgumentException(key + " must be one of "
        + Arrays.stream(values()).map(Strategy::configName).collect(Collectors.joining(", ")) + ", got " + value);
  }
}
