package io.convoy.pipeline.optim;

import java.io.Serializable;

/**
 * An optimizer's hyperparameters, checked when built. Field names map one to one to the config keys
 * {@code optimizer.kind}, {@code optimizer.learning-rate}, {@code optimizer.momentum},
 * {@code optimizer.beta1}, {@code optimizer.beta2}, {@code optimizer.eps},
 * {@code optimizer.weight-decay}, {@code optimizer.alpha} and {@code optimizer.clip-norm}, and the
 * error messages use those keys ({@code "optimizer.learning-rate must be > 0, got -1"}).
 *
 * <p>Fields a kind does not use keep their defaults and are still checked, so a spec is valid for
 * whatever kind it is switched to. {@code clipNorm} 0 turns clipping off; otherwise the gradient is
 * scaled down to this global L2 norm before every step.
 *
 * @param kind the update rule
 * @param learningRate base learning rate (a {@link LrSchedule} scales it per step)
 * @param momentum momentum for MOMENTUM, NESTEROV and RMSPROP (0 = none; NESTEROV needs it > 0)
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param eps Adam's and RMSprop's denominator term
 * @param weightDecay L2 penalty added to the gradient (decoupled for ADAMW)
 * @param alpha RMSprop's smoothing constant
 * @param clipNorm global gradient-norm limit, 0 = off
 */
public record OptimizerSpec(OptimizerKind kind, float learningRate, float momentum, float beta1, float beta2,
    float eps, float weightDecay, float alpha, float clipNorm) implements Serializable {

  /** Default momentum of the factories. */
  public static final float DEFAULT_MOMENTUM = 0.9f;
  /** PyTorch's Adam defaults. */
  public static final float DEFAULT_BETA1 = 0.9f;
  public static final float DEFAULT_BETA2 = 0.999f;
  public static final float DEFAULT_EPS = 1e-8f;
  /** PyTorch's RMSprop default. */
  public static final float DEFAULT_ALPHA = 0.99f;
  /** PyTorch's AdamW default weight decay. */
  public static final float DEFAULT_ADAMW_WEIGHT_DECAY = 0.01f;

  public OptimizerSpec {
    if (kind == null) {
      throw new IllegalArgumentException("optimizer.kind must be one of " + OptimizerKind.names() + ", got null");
    }
    positive("optimizer.learning-rate", learningRate);
    unitInterval("optimizer.momentum", momentum);
    if (kind == OptimizerKind.NESTEROV && momentum == 0f) {
      throw new IllegalArgumentException("optimizer.momentum must be > 0 for optimizer.kind = nesterov, got 0");
    }
    unitInterval("optimizer.beta1", beta1);
    unitInterval("optimizer.beta2", beta2);
    positive("optimizer.eps", eps);
    nonNegative("optimizer.weight-decay", weightDecay);
    unitInterval("optimizer.alpha", alpha);
    nonNegative("optimizer.clip-norm", clipNorm);
  }

  /** Plain SGD. */
  public static OptimizerSpec sgd(float lr) {
    return of(OptimizerKind.SGD, lr, 0f);
  }

  /** SGD with heavy-ball momentum. */
  public static OptimizerSpec momentum(float lr, float momentum) {
    return of(OptimizerKind.MOMENTUM, lr, momentum);
  }

  /** SGD with Nesterov momentum. */
  public static OptimizerSpec nesterov(float lr, float momentum) {
    return of(OptimizerKind.NESTEROV, lr, momentum);
  }

  /** Adam with PyTorch's defaults (0.9, 0.999, 1e-8, no weight decay). */
  public static OptimizerSpec adam(float lr) {
    return of(OptimizerKind.ADAM, lr, 0f);
  }

  /** AdamW with PyTorch's defaults and the given decoupled weight decay. */
  public static OptimizerSpec adamW(float lr, float weightDecay) {
    return of(OptimizerKind.ADAMW, lr, 0f).withWeightDecay(weightDecay);
  }

  /** RMSprop with PyTorch's defaults (alpha 0.99, eps 1e-8, no momentum). */
  public static OptimizerSpec rmsprop(float lr) {
    return of(OptimizerKind.RMSPROP, lr, 0f);
  }

  /** A spec of the given kind with every other field at its default. */
  public static OptimizerSpec of(OptimizerKind kind, float lr, float momentum) {
    float wd = kind == OptimizerKind.ADAMW ? DEFAULT_ADAMW_WEIGHT_DECAY : 0f;
    return new OptimizerSpec(kind, lr, momentum, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, wd, DEFAULT_ALPHA, 0f);
  }

  /** A copy with another learning rate. */
  public OptimizerSpec withLearningRate(float lr) {
    return new OptimizerSpec(kind, lr, momentum, beta1, beta2, eps, weightDecay, alpha, clipNorm);
  }

  /** A copy with another weight decay. */
  public OptimizerSpec withWeightDecay(float wd) {
    return new OptimizerSpec(kind, learningRate, momentum, beta1, beta2, eps, wd, alpha, clipNorm);
  }

  /** A copy with another clipping norm (0 = off). */
  public OptimizerSpec withClipNorm(float clip) {
    return new OptimizerSpec(kind, learningRate, momentum, beta1, beta2, eps, weightDecay, alpha, clip);
  }

  /** A copy with other Adam parameters. */
  public OptimizerSpec withBetas(float b1, float b2, float epsilon) {
    return new OptimizerSpec(kind, learningRate, momentum, b1, b2, epsilon, weightDecay, alpha, clipNorm);
  }

  /** A copy with another RMSprop alpha. */
  public OptimizerSpec withAlpha(float a) {
    return new OptimizerSpec(kind, learningRate, momentum, beta1, beta2, eps, weightDecay, a, clipNorm);
  }

  /** Optimizer state floats per parameter for this kind. */
  public int slots() {
    return kind.slots();
  }

  /** Formats a float for messages: {@code -1} rather than {@code -1.0}. */
  static String show(float v) {
    if (Float.isFinite(v) && v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Float.toString(v);
  }

  private static void positive(String key, float v) {
    if (!(v > 0f) || Float.isInfinite(v)) {
      throw new IllegalArgumentException(key + " must be > 0, got " + show(v));
    }
  }

  private static void nonNegative(String key, float v) {
    if (!(v >= 0f) || Float.isInfinite(v)) {
      throw new IllegalArgumentException(key + " must be >= 0, got " + show(v));
    }
  }

  private static void unitInterval(String key, float v) {
    if (!(v >= 0f && v < 1f)) {
      throw new IllegalArgumentException(key + " must be in [0, 1), got " + show(v));
    }
  }
}
