package io.convoy.pipeline.spark;

import java.io.Serializable;

/**
 * One stored piece of a partition: up to a few hundred examples as raw unsigned-byte pixels
 * (NCHW, one example after another) with their labels and their record numbers in the source.
 * {@link DataSource#load} gives these; the trainer computes the normalisation from them and turns
 * them into normalised Arrow mini-batches ({@link BatchChunk}), which it caches.
 *
 * @param partition the training partition this chunk belongs to
 * @param indices record numbers in the source (0-based), ascending
 * @param labels class index per example
 * @param pixels {@code indices.length * shape.size()} unsigned bytes
 */
public record DataChunk(int partition, int[] indices, int[] labels, byte[] pixels) implements Serializable {

  public DataChunk {
    if (indices == null || labels == null || pixels == null || indices.length != labels.length) {
      throw new IllegalArgumentException("DataChunk: indices, labels and pixels must be non-null with one label per"
          + " index, got " + (indices == null ? "null" : indices.length) + " indices and "
          + (labels == null ? "null" : labels.length) + " labels");
    }
  }

  /** Examples in this chunk. */
  public int size() {
    return indices.length;
  }
}
