package io.convoy.pipeline.train;

/** Callbacks from a trainer: after every epoch, and optionally after every batch. */
public interface TrainingListener {
  /** A listener that ignores everything. */
  TrainingListener NONE = m -> { };

  /** Called once per finished epoch. */
  void onEpoch(EpochMetrics m);

  /** Called after each optimizer step with that step's mean loss. */
  default void onBatch(int epoch, int batch, int batches, double loss) {}
}
