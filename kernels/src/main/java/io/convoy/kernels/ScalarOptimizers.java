package io.convoy.kernels;

/**
 * Plain-loop twin of {@link VectorOptimizers}, the oracle in tests and the fallback without the
 * Vector API. Same static signatures; arguments are not checked here (see {@link Optimizers}).
 * p, g and every state vector are (n) from index 0, in the flat parameter layout.
 */
public final class ScalarOptimizers {
  private ScalarOptimizers() {}

  public static void sgd(float[] p, float[] g, int n, float lr, float weightDecay) {
    for (int i = 0; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      p[i] -= lr * gi;
    }
  }

  public static void momentum(float[] p, float[] g, float[] vel, int n, float lr, float momentum,
      float dampening, boolean nesterov, float weightDecay, int t) {
    // the first step starts the buffer at the gradient, undamped (PyTorch)
    float keep = t == 1 ? 0f : momentum;
    float damp = t == 1 ? 1f : 1f - dampening;
    for (int i = 0; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      float b = keep * vel[i] + damp * gi;
      vel[i] = b;
      float d = nesterov ? gi + momentum * b : b;
      p[i] -= lr * d;
    }
  }

  public static void adam(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
      float eps, float weightDecay, int t) {
    adamLoop(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
  }

  public static void adamW(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
      float eps, float weightDecay, int t) {
    float decay = 1f - lr * weightDecay;
    for (int i = 0; i < n; i++) {
      p[i] *= decay;
    }
    adamLoop(p, g, m, v, n, lr, beta1, beta2, eps, 0f, t);
  }

  // shared by adam (L2 in the gradient) and adamW (weightDecay 0 here, applied before)
  private static void adamLoop(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1,
      float beta2, float eps, float weightDecay, int t) {
    float stepSize = (float) (lr / (1.0 - Math.pow(beta1, t)));
    float invSqrtBc2 = (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, t)));
    float c1 = 1f - beta1;
    float c2 = 1f - beta2;
    for (int i = 0; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      float mi = beta1 * m[i] + c1 * gi;
      float vi = beta2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      float denom = (float) Math.sqrt(vi) * invSqrtBc2 + eps;
      p[i] -= stepSize * mi / denom;
    }
  }

  public static void rmsprop(float[] p, float[] g, float[] sq, float[] buf, int n, float lr, float alpha, float eps,
      float weightDecay, float momentum) {
    float c = 1f - alpha;
    for (int i = 0; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      float s = alpha * sq[i] + c * gi * gi;
      sq[i] = s;
      float step = gi / ((float) Math.sqrt(s) + eps);
      if (momentum > 0f) {
        step = momentum * buf[i] + step;
        buf[i] = step;
      }
      p[i] -= lr * step;
    }
  }
}
