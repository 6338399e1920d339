package io.convoy.pipeline.data;

import java.io.Serializable;

/**
 * Simple seeded augmentation applied while a batch is filled: a random horizontal flip (each image
 * with probability 1/2) and a random shift of up to {@code maxShift} pixels in each direction, the
 * uncovered border filled with raw pixel 0 (then normalised like any pixel).
 *
 * @param flip whether to flip horizontally at random
 * @param maxShift largest shift in pixels, 0 = none
 */
public record Augmentation(boolean flip, int maxShift) implements Serializable {
  /** No augmentation. */
  public static final Augmentation NONE = new Augmentation(false, 0);

  public Augmentation {
    if (maxShift < 0) {
      throw new IllegalArgumentException("data.augment.shift must be >= 0, got " + maxShift);
    }
  }

  /** True when this changes nothing. */
  public boolean isNone() {
    return !flip && maxShift == 0;
  }
}
