package io.convoy.pipeline.optim;

import java.io.Serializable;

/**
 * A learning-rate schedule: the rate of one step from the base rate, the epoch (0-based), the step
 * within the epoch (0-based) and the steps per epoch. Schedules that change per epoch ignore the step;
 * {@link Cosine} and {@link Warmup} move every step. Each record checks its arguments, naming the
 * config key under {@code schedule}.
 */
public sealed interface LrSchedule extends Serializable
    permits LrSchedule.Constant, LrSchedule.StepDecay, LrSchedule.Exponential, LrSchedule.Cosine, LrSchedule.Warmup {

  /** The learning rate for the given step. */
  float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch);

  /** The constant schedule. */
  static LrSchedule constant() {
    return new Constant();
  }

  /** The base rate throughout. */
  record Constant() implements LrSchedule {
    @Override
    public float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch) {
      return base;
    }
  }

  /** {@code base * gamma^floor(epoch / everyEpochs)}. */
  record StepDecay(int everyEpochs, float gamma) implements LrSchedule {
    public StepDecay {
      if (everyEpochs <= 0) {
        throw new IllegalArgumentException("schedule.every-epochs must be > 0, got " + everyEpochs);
      }
      if (!(gamma > 0f && gamma <= 1f)) {
        throw new IllegalArgumentException("schedule.gamma must be in (0, 1], got " + gamma);
      }
    }

    @Override
    public float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch) {
      return (float) (base * Math.pow(gamma, epoch / everyEpochs));
    }
  }

  /** {@code base * gamma^epoch}. */
  record Exponential(float gamma) implements LrSchedule {
    public Exponential {
      if (!(gamma > 0f && gamma <= 1f)) {
        throw new IllegalArgumentException("schedule.gamma must be in (0, 1], got " + gamma);
      }
    }

    @Override
    public float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch) {
      return (float) (base * Math.pow(gamma, epoch));
    }
  }

  /**
   * Cosine annealing from the base rate to {@code minRate} over {@code totalEpochs}, per step:
   * {@code min + (base - min) * (1 + cos(pi * progress)) / 2} with
   * {@code progress = (epoch + stepInEpoch / stepsPerEpoch) / totalEpochs}, held at {@code minRate}
   * after the end.
   */
  record Cosine(int totalEpochs, float minRate) implements LrSchedule {
    public Cosine {
      if (totalEpochs <= 0) {
        throw new IllegalArgumentException("schedule.total-epochs must be > 0, got " + totalEpochs);
      }
      if (!(minRate >= 0f) || Float.isInfinite(minRate)) {
        throw new IllegalArgumentException("schedule.min-rate must be >= 0, got " + minRate);
      }
    }

    @Override
    public float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch) {
      double progress = (epoch + (double) stepInEpoch / Math.max(1, stepsPerEpoch)) / totalEpochs;
      progress = Math.min(1.0, Math.max(0.0, progress));
      return (float) (minRate + (base - minRate) * (1 + Math.cos(Math.PI * progress)) / 2);
    }
  }

  /**
   * Linear warm-up over the first {@code epochs} epochs, per step: step {@code i} (0-based, counted
   * from the start of training) gets {@code base * (i + 1) / (epochs * stepsPerEpoch)}; afterwards
   * {@code after} runs with its epochs counted from the end of the warm-up.
   */
  record Warmup(int epochs, LrSchedule after) implements LrSchedule {
    public Warmup {
      if (epochs <= 0) {
        throw new IllegalArgumentException("schedule.warmup-epochs must be > 0, got " + epochs);
      }
      if (after == null) {
        throw new IllegalArgumentException("schedule: the schedule after warm-up is null");
      }
    }

    @Override
    public float rate(float base, int epoch, int stepInEpoch, int stepsPerEpoch) {
      if (epoch < epochs) {
        int spe = Math.max(1, stepsPerEpoch);
        long i = (long) epoch * spe + stepInEpoch;
        return (float) (base * (double) (i + 1) / ((long) epochs * spe));
      }
      return after.rate(base, epoch - epochs, stepInEpoch, stepsPerEpoch);
    }
  }
}
