package io.convoy.pipeline.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * What partitions send back after an averaging round or a synchronous step, summed over partitions
 * by {@code treeAggregate} or {@link #shardedSum}: vectors (parameters, buffers, optimizer state, or
 * gradients), the summed loss over examples, correct predictions, example count, steps and task
 * compute times.
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

  /**
   * Sums {@code results} with a sharded reduce: every result is cut into {@code slices} pieces of its
   * vectors plus one piece holding its scalars; a shuffle with {@code slices} reducers sums each piece
   * over all results, and the driver collects every piece once. The driver so receives one copy of
   * the vectors whatever the partition count, where {@code treeAggregate} sends it about the square
   * root of the partition count of full copies. The sums are the same double additions (in another
   * order, see the class comment); with one result they are its values exactly.
   */
  static RoundResult shardedSum(JavaRDD<RoundResult> results, int slices) {
    if (slices < 1) {
      throw new IllegalArgumentException("sharded reduce needs >= 1 slices, got " + slices);
    }
    List<Tuple2<Integer, RoundResult>> pieces = results
        .flatMapToPair(r -> r.cut(slices).iterator())
        .reduceByKey(RoundResult::merge, slices)
        .collect();
    RoundResult total = new RoundResult();
    RoundResult[] bySlice = new RoundResult[slices];
    for (Tuple2<Integer, RoundResult> t : pieces) {
      if (t._1() < 0) {
        total.merge(t._2());
      } else {
        bySlice[t._1()] = t._2();
      }
    }
    total.params = join(bySlice, r -> r.params);
    total.buffers = join(bySlice, r -> r.buffers);
    total.optState = join(bySlice, r -> r.optState);
    return total;
  }

  /** Key -1: the scalars; key k: slice k of every vector (first index {@code k * n / slices}). */
  private List<Tuple2<Integer, RoundResult>> cut(int slices) {
    List<Tuple2<Integer, RoundResult>> out = new ArrayList<>(slices + 1);
    RoundResult scalars = new RoundResult();
    scalars.lossSum = lossSum;
    scalars.correct = correct;
    scalars.count = count;
    scalars.maxSteps = maxSteps;
    scalars.tasks = tasks;
    scalars.computeMax = computeMax;
    scalars.computeSum = computeSum;
    out.add(new Tuple2<>(-1, scalars));
    for (int k = 0; k < slices; k++) {
      RoundResult piece = new RoundResult();
      piece.params = slice(params, k, slices);
      piece.buffers = slice(buffers, k, slices);
      piece.optState = slice(optState, k, slices);
      out.add(new Tuple2<>(k, piece));
    }
    return out;
  }

  private static double[] slice(double[] v, int k, int slices) {
    if (v == null) {
      return null;
    }
    int from = (int) ((long) k * v.length / slices);
    int to = (int) ((long) (k + 1) * v.length / slices);
    return Arrays.copyOfRange(v, from, to);
  }

  /** The slices of one vector put back in order; null when no result had that vector. */
  private static double[] join(RoundResult[] bySlice, Function<RoundResult, double[]> part) {
    int present = 0;
    long n = 0;
    for (RoundResult r : bySlice) {
      double[] v = r == null ? null : part.apply(r);
      if (v != null) {
        present++;
        n += v.length;
      }
    }
    if (present == 0) {
      return null;
    }
    if (present != bySlice.length) {
      throw new IllegalStateException("sharded reduce: " + present + " of " + bySlice.length + " slices came back");
    }
    double[] out = new double[(int) n];
    int at = 0;
    for (RoundResult r : bySlice) {
      double[] v = part.apply(r);
      System.arraycopy(v, 0, out, at, v.length);
      at += v.length;
    }
    return out;
  }

  /** Slowest task minus the mean task, seconds. */
  double waitSeconds() {
    return tasks == 0 ? 0 : computeMax - computeSum / tasks;
  }
}
