package io.convoy.kernels;

import static io.convoy.kernels.VectorOps.checkLength;
import static io.convoy.kernels.VectorOps.checkSize;

/**
 * Optimizer steps with PyTorch's definitions ({@code torch.optim} 1.13), each one loop over the first
 * {@code n} elements of the flat parameter vector {@code p}, its gradient {@code g} and state vectors of
 * the same layout. {@code weightDecay} is L2, added to the gradient ({@code g + wd * p}), except for
 * AdamW, which decays the parameters directly. Steps {@code t} count from 1. The gradient is not
 * modified. Arguments are checked here, then the loop runs in {@link VectorOptimizers} or
 * {@link ScalarOptimizers} as {@link Backend} decides.
 */
public final class Optimizers {
  private Optimizers() {}

  /** Plain SGD: {@code p -= lr * (g + wd * p)}. */
  public static void sgd(float[] p, float[] g, int n, float lr, float weightDecay) {
    String where = "Optimizers.sgd";
    checkVectors(where, p, g, n);
    checkCommon(where, lr, weightDecay);
    if (Backend.VECTOR) {
      VectorOptimizers.sgd(p, g, n, lr, weightDecay);
    } else {
      ScalarOptimizers.sgd(p, g, n, lr, weightDecay);
    }
  }

  /**
   * SGD with momentum after the first step: {@code buf = momentum * buf + (1 - dampening) * g};
   * the update is {@code buf}, or {@code g + momentum * buf} with Nesterov; {@code p -= lr * update}.
   * With {@code vel} starting at zero and {@code dampening == 0} the first step equals PyTorch's
   * ({@code buf = g}); with dampening, use {@link #momentum(float[], float[], float[], int, float, float,
   * float, boolean, float, int)} and pass the step.
   */
  public static void momentum(float[] p, float[] g, float[] vel, int n, float lr, float momentum,
      float dampening, boolean nesterov, float weightDecay) {
    momentum(p, g, vel, n, lr, momentum, dampening, nesterov, weightDecay, 2);
  }

  /**
   * SGD with momentum, given the step {@code t} (from 1): at {@code t == 1} the buffer starts as the
   * gradient itself, undamped, as in PyTorch; afterwards as {@link #momentum(float[], float[], float[],
   * int, float, float, float, boolean, float)}.
   */
  public static void momentum(float[] p, float[] g, float[] vel, int n, float lr, float momentum,
      float dampening, boolean nesterov, float weightDecay, int t) {
    String where = "Optimizers.momentum";
    checkVectors(where, p, g, n);
    checkLength(where, "vel", vel, n);
    checkCommon(where, lr, weightDecay);
    checkStep(where, t);
    if (!(momentum >= 0f)) {
      throw new IllegalArgumentException(where + ": momentum must be >= 0, got " + momentum);
    }
    if (!(dampening >= 0f && dampening <= 1f)) {
      throw new IllegalArgumentException(where + ": dampening must be in [0, 1], got " + dampening);
    }
    if (nesterov && (momentum == 0f || dampening != 0f)) {
      throw new IllegalArgumentException(where + ": Nesterov momentum needs momentum > 0 and dampening 0, got"
          + " momentum " + momentum + ", dampening " + dampening);
    }
    if (Backend.VECTOR) {
      VectorOptimizers.momentum(p, g, vel, n, lr, momentum, dampening, nesterov, weightDecay, t);
    } else {
      ScalarOptimizers.momentum(p, g, vel, n, lr, momentum, dampening, nesterov, weightDecay, t);
    }
  }

  /**
   * Adam: {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
   * {@code p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}, with L2 weight decay in g.
   */
  public static void adam(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
      float eps, float weightDecay, int t) {
    checkAdam("Optimizers.adam", p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    if (Backend.VECTOR) {
      VectorOptimizers.adam(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    } else {
      ScalarOptimizers.adam(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    }
  }

  /** AdamW: {@code p *= 1 - lr * weightDecay} first (decoupled), then Adam without L2. */
  public static void adamW(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
      float eps, float weightDecay, int t) {
    checkAdam("Optimizers.adamW", p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    if (Backend.VECTOR) {
      VectorOptimizers.adamW(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    } else {
      ScalarOptimizers.adamW(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
    }
  }

  /**
   * RMSprop (not centered): {@code sq = alpha sq + (1 - alpha) g^2}, {@code avg = sqrt(sq) + eps};
   * without momentum {@code p -= lr * g / avg}; with momentum {@code buf = momentum buf + g / avg},
   * {@code p -= lr * buf}. {@code buf} may be null when momentum is 0.
   */
  public static void rmsprop(float[] p, float[] g, float[] sq, float[] buf, int n, float lr, float alpha, float eps,
      float weightDecay, float momentum) {
    String where = "Optimizers.rmsprop";
    checkVectors(where, p, g, n);
    checkLength(where, "sq", sq, n);
    checkCommon(where, lr, weightDecay);
    if (!(alpha >= 0f && alpha <= 1f)) {
      throw new IllegalArgumentException(where + ": alpha must be in [0, 1], got " + alpha);
    }
    if (!(eps >= 0f)) {
      throw new IllegalArgumentException(where + ": eps must be >= 0, got " + eps);
    }
    if (!(momentum >= 0f)) {
      throw new IllegalArgumentException(where + ": momentum must be >= 0, got " + momentum);
    }
    if (momentum > 0f) {
      checkLength(where, "buf (momentum " + momentum + ")", buf, n);
    }
    if (Backend.VECTOR) {
      VectorOptimizers.rmsprop(p, g, sq, buf, n, lr, alpha, eps, weightDecay, momentum);
    } else {
      ScalarOptimizers.rmsprop(p, g, sq, buf, n, lr, alpha, eps, weightDecay, momentum);
    }
  }

  private static void checkVectors(String where, float[] p, float[] g, int n) {
    checkSize(where, "n", n);
    checkLength(where, "p", p, n);
    checkLength(where, "g", g, n);
  }

  private static void checkCommon(String where, float lr, float weightDecay) {
    if (!(lr >= 0f) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException(where + ": learning rate must be a finite number >= 0, got " + lr);
    }
    if (!(weightDecay >= 0f) || Float.isInfinite(weightDecay)) {
      throw new IllegalArgumentException(where + ": weightDecay must be a finite number >= 0, got " + weightDecay);
    }
  }

  private static void checkStep(String where, int t) {
    if (t < 1) {
      throw new IllegalArgumentException(where + ": step t counts from 1, got " + t);
    }
  }

  private static void checkAdam(String where, float[] p, float[] g, float[] m, float[] v, int n, float lr,
      float beta1, float beta2, float eps, float weightDecay, int t) {
    checkVectors(where, p, g, n);
    checkLength(where, "m", m, n);
    checkLength(where, "v", v, n);
    checkCommon(where, lr, weightDecay);
    checkStep(where, t);
    if (!(beta1 >= 0f && beta1 < 1f)) {
      throw new IllegalArgumentException(where + ": beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0f && beta2 < 1f)) {
      throw new IllegalArgumentException(where + ": beta2 must be in [0, 1), got " + beta2);
    }
    if (!(eps >= 0f)) {
      throw new IllegalArgumentException(where + ": eps must be >= 0, got " + eps);
    }
  }
}
