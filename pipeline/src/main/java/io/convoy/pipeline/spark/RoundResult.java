package io.convoy.pipeline.spark;

import java.io.Serializable;

/**
 * What partitions send back after an averaging round or a synchronous step, summed over partitions
 * by {@code treeAggregate}: vectors (parameters, buffers, optimizer state, or gradients), the
 * summed loss over examples, correct predictions, example count, steps and task compute times.
 * Empty vectors (null) mean "nothing to add" so the zero value is cheap to ship.
 *
 * <p>Vectors are summed in double. Spark merges task results in completion order; a sum of a few
 * floats in double is exact (so independent of that order) unless the addends' exponents lie more
 * than about 25 binary orders apart, which keeps runs with more than two partitions reproducible
 * in practice; with one or two partitions the order never matters.
 */
final class RoundResult implements Serializable {
  private static final long serialVersionUID = 1L;

  double[] params;
  double[] buffers;
  double[] optState;
  double lossSum;
  long correct;
  long count;
  int maxSteps;
  int tasks;
  double computeMax;
  double computeSum;

  /** Adds {@code o} into this and returns this. */
  RoundResult merge(RoundResult o) {
    params = add(params, o.params);
    buffers = add(buffers, o.buffers);
    optState = add(optState, o.optState);
    lossSum += o.lossSum;
    correct += o.correct;
    count += o.count;
    maxSteps = Math.max(maxSteps, o.maxSteps);
    tasks += o.tasks;
    computeMax = Math.max(computeMax, o.computeMax);
    computeSum += o.computeSum;
    return this;
  }

  /** A float vector widened to double (null stays null). */
  static double[] wide(float[] v) {
    if (v == null) {
      return null;
    }
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  /** {@code v / parts} rounded to float (null stays null). */
  static float[] mean(double[] v, int parts) {
    if (v == null) {
      return null;
    }
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) (v[i] / parts);
    }
    return f;
  }

  private static double[] add(double[] a, double[] b) {
    if (b == null) {
      return a;
    }
    if (a == null) {
      return b.clone();
    }
    if (a.length != b.length) {
      throw new IllegalStateException("cannot add vectors of " + a.length + " and " + b.length + " floats");
    }
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  /** Slowest task minus the mean task, seconds. */
  double waitSeconds() {
    return tasks == 0 ? 0 : computeMax - computeSum / tasks;
  }
}
