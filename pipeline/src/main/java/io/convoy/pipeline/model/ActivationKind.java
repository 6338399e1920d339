package io.convoy.pipeline.model;

/** Element-wise (or, for softmax, row-wise) activation functions. */
public enum ActivationKind {
  RELU, LEAKY_RELU, ELU, SIGMOID, TANH, SOFTMAX;

  /** Name used in model trees: {@code relu}, {@code leaky_relu}, ... */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
