package io.convoy.pipeline.train;

import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerSpec;
import java.io.Serializable;

/**
 * Training settings, checked when built; messages use the config keys ({@code train.epochs},
 * {@code train.batch-size}, {@code train.mode}, {@code schedule}, {@code model.init},
 * {@code train.early-stopping.patience}, {@code train.early-stopping.min-delta}).
 *
 * @param epochs number of epochs, > 0
 * @param batchSize examples per step in {@link GradientDescent#MINI_BATCH} mode (the global batch), > 0
 * @param mode how many examples each step sees
 * @param optimizer the optimizer (its learning rate is the schedule's base rate)
 * @param schedule the learning-rate schedule
 * @param init the weight initialisation
 * @param seed seeds initialisation, shuffling, dropout and augmentation
 * @param earlyStoppingPatience epochs without a validation-error improvement before stopping; 0 = off
 * @param minDelta the smallest drop of validation error that counts as an improvement, >= 0
 */
public record TrainOptions(int epochs, int batchSize, GradientDescent mode, OptimizerSpec optimizer,
    LrSchedule schedule, InitKind init, long seed, int earlyStoppingPatience, float minDelta) implements Serializable {

  public TrainOptions {
    if (epochs <= 0) {
      throw new IllegalArgumentException("train.epochs must be > 0, got " + epochs);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("train.batch-size must be > 0, got " + batchSize);
    }
    if (mode == null) {
      throw new IllegalArgumentException("train.mode must be one of mini-batch, stochastic, full-batch, got null");
    }
    if (optimizer == null) {
      throw new IllegalArgumentException("optimizer must be set, got null");
    }
    if (schedule == null) {
      throw new IllegalArgumentException("schedule must be set, got null");
    }
    if (init == null) {
      throw new IllegalArgumentException("model.init must be one of uniform, xavier, he, got null");
    }
    if (earlyStoppingPatience < 0) {
      throw new IllegalArgumentException("train.early-stopping.patience must be >= 0, got " + earlyStoppingPatience);
    }
    if (!(minDelta >= 0f) || Float.isInfinite(minDelta)) {
      throw new IllegalArgumentException("train.early-stopping.min-delta must be >= 0, got " + minDelta);
    }
  }

  /** Mini-batch training with a constant rate, He initialisation and no early stopping. */
  public static TrainOptions of(int epochs, int batchSize, OptimizerSpec optimizer, long seed) {
    return new TrainOptions(epochs, batchSize, GradientDescent.MINI_BATCH, optimizer, LrSchedule.constant(),
        InitKind.HE, seed, 0, 0f);
  }

  /** A copy with another mode. */
  public TrainOptions withMode(GradientDescent m) {
    return new TrainOptions(epochs, batchSize, m, optimizer, schedule, init, seed, earlyStoppingPatience, minDelta);
  }

  /** A copy with another schedule. */
  public TrainOptions withSchedule(LrSchedule s) {
    return new TrainOptions(epochs, batchSize, mode, optimizer, s, init, seed, earlyStoppingPatience, minDelta);
  }

  /** A copy with early stopping. */
  public TrainOptions withEarlyStopping(int patience, float delta) {
    return new TrainOptions(epochs, batchSize, mode, optimizer, schedule, init, seed, patience, delta);
  }

  /** A copy with another epoch count. */
  public TrainOptions withEpochs(int e) {
    return new TrainOptions(e, batchSize, mode, optimizer, schedule, init, seed, earlyStoppingPatience, minDelta);
  }
}
