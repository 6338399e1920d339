package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link Optimizers} loops; loaded only when {@link Backend#VECTOR} is true.
 * p, g and every state vector are (n) from index 0. The lanes use separate multiply and add (no fma)
 * in the same order as {@link ScalarOptimizers}, and sqrt is correctly rounded in both, so the two
 * agree bit for bit. Loops run to {@code SPECIES.loopBound(n)}; the tails repeat the scalar twin's lines.
 */
public final class VectorOptimizers {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();

  private VectorOptimizers() {}

  public static void sgd(float[] p, float[] g, int n, float lr, float weightDecay) {
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector vp = FloatVector.fromArray(SPECIES, p, i);
      FloatVector gi = FloatVector.fromArray(SPECIES, g, i).add(vp.mul(weightDecay));
      vp.sub(gi.mul(lr)).intoArray(p, i);
    }
    for (; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      p[i] -= lr * gi;
    }
  }

  public static void momentum(float[] p, float[] g, float[] vel, int n, float lr, float momentum,
      float dampening, boolean nesterov, float weightDecay, int t) {
    float keep = t == 1 ? 0f : momentum;
    float damp = t == 1 ? 1f : 1f - dampening;
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector vp = FloatVector.fromArray(SPECIES, p, i);
      FloatVector gi = FloatVector.fromArray(SPECIES, g, i).add(vp.mul(weightDecay));
      FloatVector b = FloatVector.fromArray(SPECIES, vel, i).mul(keep).add(gi.mul(damp));
      b.intoArray(vel, i);
      FloatVector d = nesterov ? gi.add(b.mul(momentum)) : b;
      vp.sub(d.mul(lr)).intoArray(p, i);
    }
    for (; i < n; i++) {
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
    VectorVectorOps.scale(p, 0, n, 1f - lr * weightDecay);
    adamLoop(p, g, m, v, n, lr, beta1, beta2, eps, 0f, t);
  }

  private static void adamLoop(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1,
      float beta2, float eps, float weightDecay, int t) {
    float stepSize = (float) (lr / (1.0 - Math.pow(beta1, t)));
    float invSqrtBc2 = (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, t)));
    float c1 = 1f - beta1;
    float c2 = 1f - beta2;
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector vp = FloatVector.fromArray(SPECIES, p, i);
      FloatVector gi = FloatVector.fromArray(SPECIES, g, i).add(vp.mul(weightDecay));
      FloatVector mi = FloatVector.fromArray(SPECIES, m, i).mul(beta1).add(gi.mul(c1));
      FloatVector vi = FloatVector.fromArray(SPECIES, v, i).mul(beta2).add(gi.mul(c2).mul(gi));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector denom = vi.sqrt().mul(invSqrtBc2).add(eps);
      vp.sub(mi.mul(stepSize).div(denom)).intoArray(p, i);
    }
    for (; i < n; i++) {
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
    boolean withMomentum = momentum > 0f;
    int i = 0;
    for (int bound = SPECIES.loopBound(n); i < bound; i += L) {
      FloatVector vp = FloatVector.fromArray(SPECIES, p, i);
      FloatVector gi = FloatVector.fromArray(SPECIES, g, i).add(vp.mul(weightDecay));
      FloatVector s = FloatVector.fromArray(SPECIES, sq, i).mul(alpha).add(gi.mul(c).mul(gi));
      s.intoArray(sq, i);
      FloatVector step = gi.div(s.sqrt().add(eps));
      if (withMomentum) {
        step = FloatVector.fromArray(SPECIES, buf, i).mul(momentum).add(step);
        step.intoArray(buf, i);
      }
      vp.sub(step.mul(lr)).intoArray(p, i);
    }
    for (; i < n; i++) {
      float gi = g[i] + weightDecay * p[i];
      float s = alpha * sq[i] + c * gi * gi;
      sq[i] = s;
      float step = gi / ((float) Math.sqrt(s) + eps);
      if (withMomentum) {
        step = momentum * buf[i] + step;
        buf[i] = step;
      }
      p[i] -= lr * step;
    }
  }
}
