package io.convoy.pipeline.io;

import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import java.util.List;

/**
 * Everything needed to resume training: the model, the optimizer spec and state (flat, slot after
 * slot, as {@link io.convoy.pipeline.optim.Optimizer#state()}), the optimizer's step count, the
 * number of epochs completed, the global step, the RNG seed and state, the job's config text and
 * the metrics history. The arrays are kept, not copied.
 *
 * @param model spec, params, buffers and metadata
 * @param optimizer the optimizer spec
 * @param optimizerState {@code slots * paramCount} floats
 * @param optimizerStep the optimizer's step count (Adam's t)
 * @param epoch epochs completed (the next epoch to run)
 * @param step global training steps taken
 * @param seed the run's seed
 * @param rngState state of the run's random generator beyond the seed (0 when unused)
 * @param config the job's resolved config (HOCON or JSON text), "" when none
 * @param history per-epoch metrics so far
 */
public record Checkpoint(SavedModel model, OptimizerSpec optimizer, float[] optimizerState, int optimizerStep,
    int epoch, long step, long seed, long rngState, String config, List<EpochMetrics> history) {

  public Checkpoint {
    if (model == null || optimizer == null || optimizerState == null) {
      throw new IllegalArgumentException("Checkpoint: model, optimizer and optimizerState must not be null");
    }
    long want = (long) optimizer.slots() * model.params().length;
    if (optimizerState.length != want) {
      throw new IllegalArgumentException("Checkpoint: " + optimizer.kind().configName() + " state needs " + want
          + " floats (" + optimizer.slots() + " slots x " + model.params().length + " params), got "
          + optimizerState.length);
    }
    if (optimizerStep < 0 || epoch < 0 || step < 0) {
      throw new IllegalArgumentException("Checkpoint: optimizer step, epoch and step must be >= 0, got "
          + optimizerStep + ", " + epoch + ", " + step);
    }
    config = config == null ? "" : config;
    history = history == null ? List.of() : List.copyOf(history);
  }
}
