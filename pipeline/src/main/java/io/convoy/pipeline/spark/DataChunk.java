package io.convoy.pipeline.spark;

import java.io.Serializable;

/**
 * One stored piece of a partition: up to a few hundred examples as raw unsigned-byte pixels
 * (NCHW, one example after another) with their labels and their record numbers in the source.
 * {@link DataSource#load} gives these; the trainer computes the normalisation from them and turns
 * them into normalised Arrow mini-batches ({@link BatchChunk}), which it caches.
 *
 * <p>A chunk may instead carry {@code features}: examples that are already floats (an ML
 * {@code array<float>} or vector column). They go into the mini-batches as they are (no
 * normalisation) and add nothing to the normalisation statistics; {@code pixels} is then empty.
 *
 * @param partition the training partition this chunk belongs to
 * @param indices record numbers in the source (0-based), ascending
 * @param labels class index per example
 * @param pixels {@code indices.length * shape.size()} unsigned bytes (empty when {@code features} is set)
 * @param features null, or {@code indices.length * shape.size()} floats used as they are
 */
public record DataChunk(int partition, int[] indices, int[] labels, byte[] pixels, float[] features)
    implements Serializable {

  public DataChunk {
    if (indices == null || labels == null || pixels == null || indices.length != labels.length) {
      throw new IllegalArgumentException("DataChunk: indices, labels and pixels must be non-null with one label per"
          + " index, got " + (indices == null ? "null" : indices.length) + " indices and "
          + (labels == null ? "null" : labels.length) + " labels");
    }
    if (features != null && pixels.length != 0) {
      throw new IllegalArgumentException("DataChunk: a chunk holds either pixels or float features, got "
          + pixels.length + " pixel bytes and " + features.length + " floats");
    }
  }

  /** A chunk of raw unsigned-byte pixels. */
  public DataChunk(int partition, int[] indices, int[] labels, byte[] pixels) {
    this(partition, indices, labels, pixels, null);
  }

  /** A chunk of float examples used as they are (already normalised). */
  public static DataChunk ofFeatures(int partition, int[] indices, int[] labels, float[] features) {
    if (features == null) {
      throw new IllegalArgumentException("DataChunk.ofFeatures: features must not be null");
    }
    return new DataChunk(partition, indices, labels, new byte[0], features);
  }

  /** Examples in this chunk. */
  public int size() {
    return indices.length;
  }
}
