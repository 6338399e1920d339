package io.convoy.pipeline.model;

/**
 * Loss applied to the model output as is. Softmax cross entropy takes logits and class labels;
 * binary cross entropy (output must be probabilities, e.g. a final sigmoid) and mean squared error
 * compare the output with one-hot targets made from the labels.
 */
public enum LossKind {
  SOFTMAX_CROSS_ENTROPY, BINARY_CROSS_ENTROPY, MEAN_SQUARED_ERROR;

  /** Name used in model trees: {@code softmax_cross_entropy}, ... */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
