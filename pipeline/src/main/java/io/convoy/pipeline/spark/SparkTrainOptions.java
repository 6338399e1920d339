package io.convoy.pipeline.spark;

import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.train.TrainOptions;

/**
 * Settings of a distributed training run, checked when built. Messages name the config keys
 * ({@code train.strategy}, {@code train.averaging-period}, {@code train.partitions},
 * {@code checkpoint.dir}; resuming is the train command's {@code --resume}).
 *
 * @param train epochs, global batch size, optimizer, schedule, seed, early stopping
 * @param strategy how partitions combine their work
 * @param averagingPeriod PARAMETER_AVERAGING: mini-batches each replica trains between two
 *     averagings; 0 = once per epoch. Ignored by SYNC_SGD.
 * @param averageOptimizerState PARAMETER_AVERAGING: also average the optimizer state (Adam's
 *     moments, momentum) and continue its step count; when false every round starts each replica
 *     with a fresh optimizer (zero state, step 0), and checkpoints hold zero state
 * @param partitions number of data partitions (= replicas); 0 = Spark's default parallelism
 * @param checkpointDir Hadoop URI of the checkpoint folder (a checkpoint per epoch), or null for none
 * @param resume continue from the latest checkpoint in {@code checkpointDir}
 * @param augmentation random flips/shifts of training images; null or {@link Augmentation#NONE} = none
 * @param normalization per-channel normalisation; null = computed from the training data in one
 *     distributed pass
 * @param lrScaling PARAMETER_AVERAGING: how the replicas' learning rate grows with their number
 *     ({@link LrScaling}); ignored by SYNC_SGD. Null means {@link LrScaling#NONE}.
 */
public record SparkTrainOptions(TrainOptions train, Strategy strategy, int averagingPeriod,
    boolean averageOptimizerState, int partitions, String checkpointDir, boolean resume, Augmentation augmentation,
    Normalization normalization, LrScaling lrScaling) {

  /** Options without learning-rate scaling. */
  public SparkTrainOptions(TrainOptions train, Strategy strategy, int averagingPeriod, boolean averageOptimizerState,
      int partitions, String checkpointDir, boolean resume, Augmentation augmentation, Normalization normalization) {
    this(train, strategy, averagingPeriod, averageOptimizerState, partitions, checkpointDir, resume, augmentation,
        normalization, LrScaling.NONE);
  }

  public SparkTrainOptions {
    if (train == null) {
      throw new IllegalArgumentException("train must be set, got null");
    }
    if (strategy == null) {
      throw new IllegalArgumentException("train.strategy must be one of parameter_averaging, sync_sgd, got null");
    }
    if (averagingPeriod < 0) {
      throw new IllegalArgumentException("train.averaging-period must be >= 0 (0 = once per epoch), got "
          + averagingPeriod);
    }
    if (partitions < 0) {
      throw new IllegalArgumentException("train.partitions must be >= 0 (0 = Spark's default parallelism), got "
          + partitions);
    }
    if (checkpointDir != null && checkpointDir.isBlank()) {
      throw new IllegalArgumentException("checkpoint.dir must be a Hadoop URI or unset, got \"" + checkpointDir
          + "\"");
    }
    if (resume && checkpointDir == null) {
      throw new IllegalArgumentException("resuming (train --resume) needs a checkpoint folder (checkpoint.dir), got none");
    }
    lrScaling = lrScaling == null ? LrScaling.NONE : lrScaling;
  }

  /** Defaults: once-per-epoch averaging with optimizer state, default parallelism, no checkpoints. */
  public static SparkTrainOptions of(TrainOptions train, Strategy strategy) {
    return new SparkTrainOptions(train, strategy, 0, true, 0, null, false, null, null);
  }

  /** A copy with another partition count. */
  public SparkTrainOptions withPartitions(int p) {
    return new SparkTrainOptions(train, strategy, averagingPeriod, averageOptimizerState, p, checkpointDir, resume,
        augmentation, normalization, lrScaling);
  }

  /** A copy with another averaging period. */
  public SparkTrainOptions withAveragingPeriod(int period) {
    return new SparkTrainOptions(train, strategy, period, averageOptimizerState, partitions, checkpointDir, resume,
        augmentation, normalization, lrScaling);
  }

  /** A copy with checkpoints in {@code dir}, resuming from the latest when {@code resumeRun}. */
  public SparkTrainOptions withCheckpoints(String dir, boolean resumeRun) {
    return new SparkTrainOptions(train, strategy, averagingPeriod, averageOptimizerState, partitions, dir, resumeRun,
        augmentation, normalization, lrScaling);
  }

  /** A copy with other training options. */
  public SparkTrainOptions withTrain(TrainOptions t) {
    return new SparkTrainOptions(t, strategy, averagingPeriod, averageOptimizerState, partitions, checkpointDir,
        resume, augmentation, normalization, lrScaling);
  }

  /** A copy with a fixed normalisation. */
  public SparkTrainOptions withNormalization(Normalization n) {
    return new SparkTrainOptions(train, strategy, averagingPeriod, averageOptimizerState, partitions, checkpointDir,
        resume, augmentation, n, lrScaling);
  }

  /** A copy with another learning-rate scaling (see {@link LrScaling}). */
  public SparkTrainOptions withLrScaling(LrScaling s) {
    return new SparkTrainOptions(train, strategy, averagingPeriod, averageOptimizerState, partitions, checkpointDir,
        resume, augmentation, normalization, s);
  }

  /** A copy with augmentation. */
  public SparkTrainOptions withAugmentation(Augmentation a) {
    return new SparkTrainOptions(train, strategy, averagingPeriod, averageOptimizerState, partitions, checkpointDir,
        resume, a, normalization, lrScaling);
  }
}
