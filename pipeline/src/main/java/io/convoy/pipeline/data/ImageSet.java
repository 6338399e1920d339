package io.convoy.pipeline.data;

import io.convoy.pipeline.model.TensorShape;
import java.util.Arrays;

/**
 * Labelled images held as unsigned bytes (0..255), NCHW, one example after another, with one class
 * index per example. The constructor checks that the pixel count is {@code labels.length * shape.size()}
 * and that every label lies in {@code [0, numClasses)}, naming the record index and value otherwise.
 * The arrays are kept, not copied: do not change them afterwards.
 *
 * @param shape one example's (C, H, W)
 * @param pixels {@code size() * shape.size()} unsigned bytes
 * @param labels class indices, one per example
 * @param numClasses number of classes; labels lie in {@code [0, numClasses)}
 */
public record ImageSet(TensorShape shape, byte[] pixels, int[] labels, int numClasses) {

  public ImageSet {
    if (shape == null || pixels == null || labels == null) {
      throw new IllegalArgumentException("ImageSet: shape, pixels and labels must not be null, got shape=" + shape
          + ", pixels=" + (pixels == null ? "null" : pixels.length + " bytes")
          + ", labels=" + (labels == null ? "null" : labels.length + " ints"));
    }
    if (numClasses <= 0) {
      throw new IllegalArgumentException("ImageSet: numClasses must be > 0, got " + numClasses);
    }
    long want = (long) labels.length * shape.size();
    if (pixels.length != want) {
      throw new IllegalArgumentException("ImageSet: " + labels.length + " labels of shape " + shape + " need "
          + want + " pixels, got " + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException("ImageSet: record " + i + " has label " + labels[i]
            + ", expected a class in [0, " + numClasses + ")");
      }
    }
  }

  /** Number of examples. */
  public int size() {
    return labels.length;
  }

  /** Floats (bytes) per example: {@code shape.size()}. */
  public int imageSize() {
    return shape.size();
  }

  /** Examples {@code [from, to)} as a new set (copied). */
  public ImageSet slice(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException("ImageSet.slice: range [" + from + ", " + to + ") is outside [0, "
          + size() + "]");
    }
    int s = imageSize();
    return new ImageSet(shape, Arrays.copyOfRange(pixels, from * s, to * s),
        Arrays.copyOfRange(labels, from, to), numClasses);
  }

  /** The examples at {@code indices}, in that order, as a new set. */
  public ImageSet select(int[] indices) {
    int s = imageSize();
    byte[] px = new byte[indices.length * s];
    int[] lb = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      int j = indices[i];
      if (j < 0 || j >= size()) {
        throw new IllegalArgumentException("ImageSet.select: index " + j + " at position " + i
            + " is outside [0, " + size() + ")");
      }
      System.arraycopy(pixels, j * s, px, i * s, s);
      lb[i] = labels[j];
    }
    return new ImageSet(shape, px, lb, numClasses);
  }

  /** Pixel {@code k} (0-based within the example) of example {@code i}, as 0..255. */
  public int pixel(int i, int k) {
    return pixels[i * imageSize() + k] & 0xFF;
  }

  @Override
  public String toString() {
    return "ImageSet[" + size() + " x " + shape + ", " + numClasses + " classes]";
  }
}
