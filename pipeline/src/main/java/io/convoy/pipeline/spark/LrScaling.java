package io.convoy.pipeline.spark;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How parameter averaging scales the optimizer's learning rate with the number of replicas R. Each
 * replica makes 1/R of the steps a single process makes per epoch, so the averaged model moves less
 * per epoch; a larger per-replica rate makes that up. With one replica every choice is the factor 1
 * (the run stays bit-identical to single-process training). Synchronous SGD is never scaled.
 * <ul>
 *   <li>{@link #NONE}: the configured rate.</li>
 *   <li>{@link #SQRT}: the rate times sqrt(R).</li>
 *   <li>{@link #LINEAR}: the rate times R.</li>
 * </ul>
 */
public enum LrScaling {
  NONE, SQRT, LINEAR;

  /** The factor for {@code replicas} replicas (1 for one replica). */
  public float factor(int replicas) {
    if (replicas < 1) {
      throw new IllegalArgumentException("LrScaling.factor: replicas must be >= 1, got " + replicas);
    }
    return switch (this) {
      case NONE -> 1f;
      case SQRT -> (float) Math.sqrt(replicas);
      case LINEAR -> replicas;
    };
  }

  /** Name used in config files: {@code none}, {@code sqrt}, {@code linear}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a config value (case-insensitive); {@code key} names the config key. */
  public static LrScaling parse(String value, String key) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT);
      for (LrScaling s : values()) {
        if (s.name().equals(v)) {
          return s;
        }
      }
    }
    throw new IllegalArgumentException(key + " must be one of "
        + Arrays.stream(values()).map(LrScaling::configName).collect(Collectors.joining(", ")) + ", got " + value);
  }
}
