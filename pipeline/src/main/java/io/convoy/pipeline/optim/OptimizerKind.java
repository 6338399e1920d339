package io.convoy.pipeline.optim;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The update rules an {@link Optimizer} knows, with PyTorch's definitions. Each kind keeps a fixed
 * number of state slots, each slot one float per parameter in the parameter layout.
 */
public enum OptimizerKind {
  /** Plain gradient descent, no state. */
  SGD(0),
  /** Heavy-ball momentum: one velocity slot. */
  MOMENTUM(1),
  /** Nesterov momentum: one velocity slot. */
  NESTEROV(1),
  /** Adam with L2 weight decay added to the gradient: first and second moment slots. */
  ADAM(2),
  /** Adam with decoupled weight decay: first and second moment slots. */
  ADAMW(2),
  /** RMSprop: the running mean of squares and a momentum buffer. */
  RMSPROP(2);

  private final int slots;

  OptimizerKind(int slots) {
    this.slots = slots;
  }

  /** Optimizer state floats per parameter. */
  public int slots() {
    return slots;
  }

  /** The name used in config files: lower case ({@code "adamw"}). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a config value (case-insensitive, {@code '-'} accepted for {@code '_'}); {@code key}
   * names the config key in the error.
   */
  public static OptimizerKind parse(String value, String key) {
    if (value != null) {
      String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (OptimizerKind k : values()) {
        if (k.name().equals(v)) {
          return k;
        }
      }
    }
    throw new IllegalArgumentException(key + " must be one of " + names() + ", got " + value);
  }

  /** The config names of all kinds, comma-separated. */
  public static String names() {
    return Arrays.stream(values()).map(OptimizerKind::configName).collect(Collectors.joining(", "));
  }
}
