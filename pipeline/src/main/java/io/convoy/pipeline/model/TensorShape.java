package io.convoy.pipeline.model;

import java.io.Serializable;

/**
 * Shape of ONE example flowing between layers: channels, height, width (NCHW without the batch).
 * Flat (dense) activations are {@code (n, 1, 1)}.
 */
public record TensorShape(int c, int h, int w) implements Serializable {

  public TensorShape {
    if (c <= 0 || h <= 0 || w <= 0) {
      throw new ModelSpecException("tensor shape must have positive sizes, got (" + c + ", " + h + ", " + w + ")");
    }
    if ((long) c * h * w > Integer.MAX_VALUE) {
      throw new ModelSpecException("tensor shape (" + c + ", " + h + ", " + w + ") holds more than "
          + Integer.MAX_VALUE + " floats");
    }
  }

  /** A flat vector of {@code n} features, {@code (n, 1, 1)}. */
  public static TensorShape flat(int n) {
    return new TensorShape(n, 1, 1);
  }

  /** Floats per example, {@code c*h*w}. */
  public int size() {
    return c * h * w;
  }

  /** True for {@code (n, 1, 1)}. */
  public boolean isFlat() {
    return h == 1 && w == 1;
  }

  @Override
  public String toString() {
    return isFlat() ? "(" + c + ")" : "(" + c + ", " + h + ", " + w + ")";
  }
}
