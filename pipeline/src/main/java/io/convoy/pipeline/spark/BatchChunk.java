package io.convoy.pipeline.spark;

import java.io.Serializable;

/**
 * A cached piece of a training partition: a {@code MiniBatch} of normalised examples serialised as
 * Arrow IPC bytes, with the examples' record numbers in the source.
 *
 * @param partition the partition it belongs to
 * @param indices record numbers, ascending, one per row of the batch
 * @param ipc {@code MiniBatch.toIpcBytes()}
 */
record BatchChunk(int partition, int[] indices, byte[] ipc) implements Serializable {
}
