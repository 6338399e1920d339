package io.convoy.pipeline.train;

import java.util.List;

/**
 * The outcome of training: the parameters and buffers to keep (those of the best validation epoch
 * when early stopping ran, otherwise the last), the optimizer state and step count at the end, the
 * per-epoch metrics and the epoch the parameters come from.
 *
 * @param params the flat parameter vector
 * @param buffers the flat buffer vector
 * @param optimizerState flat optimizer state at the end of training
 * @param optimizerStep optimizer steps taken
 * @param history one entry per epoch run
 * @param bestEpoch the 0-based epoch whose parameters {@code params} holds
 */
public record TrainResult(float[] params, float[] buffers, float[] optimizerState, int optimizerStep,
    List<EpochMetrics> history, int bestEpoch) {

  public TrainResult {
    history = List.copyOf(history);
  }

  /** The metrics of the last epoch run. */
  public EpochMetrics last() {
    if (history.isEmpty()) {
      throw new IllegalStateException("TrainResult: no epoch ran");
    }
    return history.get(history.size() - 1);
  }
}
