package io.convoy.pipeline.spark;

import io.convoy.kernels.VectorOps;
import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.Optimizer;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.progress.TaskProgress;
import io.convoy.pipeline.train.ChunkedGradient;
import io.convoy.pipeline.train.GradientDescent;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.broadcast.Broadcast;

/**
 * The task side of the Spark trainer: what one partition does in an averaging round, in a
 * synchronous step and in an evaluation. Everything here is static and gets its inputs from
 * broadcast records, so closures capture no driver objects.
 */
final class Replicas {
  private static final long PARTITION_MIX = 0x632BE59BD9B4E019L;
  /** The single-process trainer's workspace batch; the same chunking keeps results bit-identical. */
  static final int WORKSPACE = io.convoy.pipeline.train.LocalTrainer.DEFAULT_WORKSPACE_BATCH;

  private Replicas() {
  }

  /**
   * Shuffling seed of partition {@code p}: the run's seed itself for partition 0, so that a single
   * partition shuffles exactly like the single-process trainer.
   */
  static long partitionSeed(long seed, int p) {
    return seed + PARTITION_MIX * p;
  }

  /**
   * Inputs of one averaging round (broadcast).
   *
   * @param batches mini-batches each replica trains this round, starting at its batch {@code firstBatch}
   * @param optState the averaged optimizer state, or null to start replicas from zero state
   * @param sizes examples per partition (sizes the decoded partition's arrays up front)
   */
  record RoundInput(String dataId, ModelSpec spec, OptimizerSpec optimizer, LrSchedule schedule, GradientDescent mode,
      int batchSize, long seed, int epoch, int firstBatch, int batches, long globalStep, float[] params,
      float[] buffers, float[] optState, int optStep, boolean returnOptState, Augmentation augmentation,
      Normalization norm, long[] sizes)
      implements Serializable {
  }

  /** The example count of {@code partition} in {@code sizes}, or -1 when not known. */
  static int expected(long[] sizes, int partition) {
    return sizes != null && partition < sizes.length ? (int) sizes[partition] : -1;
  }

  /** Batches per epoch of a replica holding {@code n} examples. */
  static int replicaBatches(GradientDescent mode, int batchSize, int n) {
    return new Batcher(n, mode.stepBatch(batchSize, n), 0L, false).numBatches();
  }

  /**
   * One averaging round on one partition: train the replica on its next batches, send back sums.
   * {@code progress} (nullable) counts every finished mini-batch for the driver's live progress;
   * it only observes, the training arithmetic does not depend on it.
   */
  static Iterator<RoundResult> averagingRound(int partition, Iterator<BatchChunk> it, RoundInput in,
      TaskProgress progress) {
    SparkData.PartitionData d = TaskState.partition(in.dataId(), partition,
        () -> SparkData.decode(partition, it, in.spec().input(), expected(in.sizes(), partition)));
    long t0 = System.nanoTime();
    int n = d.size();
    RoundResult r = new RoundResult();
    float[] params = in.params().clone();
    float[] buffers = in.buffers().clone();
    Optimizer opt = new Optimizer(in.optimizer(), params.length);
    if (in.optState() != null) {
      opt.setState(in.optState());
      opt.setStep(in.optStep());
    }   // else: a fresh optimizer (zero state, step 0), so Adam's bias correction matches its state
    int steps = 0;
    if (n > 0) {
      int b = in.mode().stepBatch(in.batchSize(), n);
      long replicaSeed = partitionSeed(in.seed(), partition);
      Batcher batcher = new Batcher(n, b, replicaSeed, in.mode() != GradientDescent.FULL_BATCH);
      int nb = batcher.numBatches();
      int last = (int) Math.min(nb, (long) in.firstBatch() + in.batches());
      int[] order = batcher.order(in.epoch());
      Step step = new Step(in.spec(), Math.min(b, WORKSPACE), params.length);
      for (int k = in.firstBatch(); k < last; k++) {
        int len = batcher.batchLength(k);
        double loss = step.gradients(d, order, batcher.batchStart(k), len, params, buffers, replicaSeed,
            in.globalStep() + steps, in.augmentation(), in.norm());
        if (!Double.isFinite(loss)) {
          throw new IllegalStateException("training diverged: loss " + loss + " at epoch " + in.epoch() + ", batch "
              + k + " of partition " + partition);
        }
        float lr = in.schedule().rate(in.optimizer().learningRate(), in.epoch(), k, nb);
        opt.step(params, step.grads, lr);
        r.lossSum += loss * len;
        r.correct += step.correct;
        r.count += len;
        steps++;
        if (progress != null) {
          progress.batchDone(len, loss);
        }
      }
    }
    r.params = RoundResult.wide(params);
    r.buffers = RoundResult.wide(buffers);
    r.optState = in.returnOptState() ? RoundResult.wide(opt.state()) : null;
    r.maxSteps = steps;
    r.tasks = 1;
    double secs = (System.nanoTime() - t0) / 1e9;
    r.computeMax = secs;
    r.computeSum = secs;
    return List.of(r).iterator();
  }

  /**
   * Inputs of one synchronous step (broadcast): the global batch {@code batch} of the epoch order
   * that the single-process trainer uses over all {@code total} examples. Position {@code r} of that
   * order means record number {@code base + r}, or {@code records[r]} when the record numbers are
   * not contiguous ({@code records} non-null). {@code sizes}: examples per partition.
   */
  record StepInput(String dataId, ModelSpec spec, int total, int base, Broadcast<int[]> records, int stepBatch,
      boolean shuffle, long seed, int epoch, int batch,
      long globalStep, float[] params, float[] buffers, Augmentation augmentation, Normalization norm, long[] sizes)
      implements Serializable {
  }

  private record OrderKey(int total, int batch, long seed, int epoch, boolean shuffle) {
  }

  private static final ThreadLocal<Object[]> ORDER = new ThreadLocal<>();

  /** The global epoch order, cached per thread (every step of an epoch needs it). */
  static int[] globalOrder(int total, int stepBatch, long seed, int epoch, boolean shuffle) {
    OrderKey k = new OrderKey(total, stepBatch, seed, epoch, shuffle);
    Object[] c = ORDER.get();
    if (c != null && c[0].equals(k)) {
      return (int[]) c[1];
    }
    int[] order = new Batcher(total, stepBatch, seed, shuffle).order(epoch);
    ORDER.set(new Object[] {k, order});
    return order;
  }

  /**
   * One synchronous step on one partition: the gradient of the examples of the global batch that
   * this partition holds, scaled by (their count / global batch) so the sum over partitions is the
   * gradient of the global batch's mean loss. Buffers come back weighted the same way.
   */
  static Iterator<RoundResult> syncStep(int partition, Iterator<BatchChunk> it, StepInput in) {
    SparkData.PartitionData d = TaskState.partition(in.dataId(), partition,
        () -> SparkData.decode(partition, it, in.spec().input(), expected(in.sizes(), partition)));
    long t0 = System.nanoTime();
    int[] order = globalOrder(in.total(), in.stepBatch(), in.seed(), in.epoch(), in.shuffle());
    int start = in.batch() * in.stepBatch();
    int len = Math.min(in.stepBatch(), in.total() - start);
    int[] mine = new int[len];
    int m = 0;
    int[] recs = in.records() == null ? null : in.records().value();
    for (int i = 0; i < len; i++) {
      int rank = order[start + i];
      int j = Arrays.binarySearch(d.indices(), recs == null ? in.base() + rank : recs[rank]);
      if (j >= 0) {
        mine[m++] = j;
      }
    }
    RoundResult r = new RoundResult();
    if (m > 0) {
      float[] buffers = in.buffers().clone();
      Step step = new Step(in.spec(), Math.min(in.stepBatch(), WORKSPACE), in.params().length);
      double loss = step.gradients(d, mine, 0, m, in.params(), buffers, partitionSeed(in.seed(), partition),
          in.globalStep(), in.augmentation(), in.norm());
      float w = (float) m / len;
      VectorOps.scale(step.grads, 0, step.grads.length, w);
      VectorOps.scale(buffers, 0, buffers.length, w);
      r.params = RoundResult.wide(step.grads);
      r.buffers = RoundResult.wide(buffers);
      r.lossSum = loss * m;
      r.correct = step.correct;
      r.count = m;
    }
    r.maxSteps = 1;
    r.tasks = 1;
    double secs = (System.nanoTime() - t0) / 1e9;
    r.computeMax = secs;
    r.computeSum = secs;
    return List.of(r).iterator();
  }

  /**
   * Gradient computation of one step over a gather list: the same {@link ChunkedGradient} as
   * {@link io.convoy.pipeline.train.LocalReplica#gradient} (workspace chunks, chunk weights, dropout and
   * augmentation seeds), fed with examples that are already normalised floats (decoded from Arrow)
   * instead of raw bytes, so a replica seeded like the single-process trainer computes bit-identical
   * gradients.
   */
  static final class Step {
    final Network net;
    final float[] grads;
    final float[] x;
    final int[] y;
    final int size;
    final ChunkedGradient chunked;
    int correct;

    Step(ModelSpec spec, int cap, int numParams) {
      this.net = TaskState.network(spec, cap);
      this.size = spec.input().size();
      this.grads = new float[numParams];
      this.chunked = new ChunkedGradient(net, grads);
      this.x = new float[cap * size];
      this.y = new int[cap];
    }

    /**
     * Overwrites the gradient with that of the mean loss over examples {@code order[from .. from+count)}
     * of {@code d} and returns the mean loss; {@code replicaSeed} and {@code step} (the global step)
     * seed dropout and augmentation as in the single-process trainer.
     */
    double gradients(SparkData.PartitionData d, int[] order, int from, int count, float[] params, float[] buffers,
        long replicaSeed, long step, Augmentation aug, Normalization norm) {
      long stepSeed = ChunkedGradient.stepSeed(replicaSeed, step);
      double loss = chunked.compute(params, buffers, x, y, count, stepSeed,
          (offset, b, augSeed) -> gather(d, order, from + offset, b, aug, norm, augSeed));
      correct = chunked.correct();
      return loss;
    }

    private void gather(SparkData.PartitionData d, int[] order, int start, int m, Augmentation aug,
        Normalization norm, long augSeed) {
      float[] src = d.x();
      for (int i = 0; i < m; i++) {
        int j = order[start + i];
        System.arraycopy(src, j * size, x, i * size, size);
        y[i] = d.labels()[j];
      }
      if (aug != null && !aug.isNone()) {
        SplittableRandom rnd = new SplittableRandom(augSeed);
        for (int i = 0; i < m; i++) {
          augment(x, i * size, aug, norm, net.spec(), rnd);
        }
      }
    }
  }

  /**
   * Random horizontal flip and shift of one normalised example in place, drawing from {@code rnd}
   * exactly as {@code Batcher.fill} does on raw pixels: uncovered pixels get the normalised value of
   * raw pixel 0 ({@code norm.shift(c)}).
   */
  static void augment(float[] x, int off, Augmentation aug, Normalization norm, ModelSpec spec, SplittableRandom rnd) {
    int c = spec.input().c();
    int h = spec.input().h();
    int w = spec.input().w();
    boolean flip = aug.flip() && rnd.nextBoolean();
    int dy = aug.maxShift() == 0 ? 0 : rnd.nextInt(-aug.maxShift(), aug.maxShift() + 1);
    int dx = aug.maxShift() == 0 ? 0 : rnd.nextInt(-aug.maxShift(), aug.maxShift() + 1);
    if (!flip && dy == 0 && dx == 0) {
      return;
    }
    float[] tmp = new float[h * w];
    for (int ch = 0; ch < c; ch++) {
      int base = off + ch * h * w;
      System.arraycopy(x, base, tmp, 0, h * w);
      float fill = norm.shift(ch);
      for (int r = 0; r < h; r++) {
        int sr = r - dy;
        for (int q = 0; q < w; q++) {
          int sq = (flip ? w - 1 - q : q) - dx;
          x[base + r * w + q] = sr >= 0 && sr < h && sq >= 0 && sq < w ? tmp[sr * w + sq] : fill;
        }
      }
    }
  }
}
