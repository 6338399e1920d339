package io.convoy.pipeline.train;

import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.Optimizer;

/**
 * One model replica: a {@link Network} with its workspaces, a gradient vector and batch arrays, able
 * to compute the gradient of a batch and to train over a range of batches from given parameters. The
 * local trainer runs one; a Spark task runs one per partition (build it once per task and reuse it).
 *
 * <p>Batches larger than the workspace batch are processed in chunks whose gradients are combined
 * with weights {@code chunk / batch}, so the result is the gradient of the batch's mean loss
 * (batch-norm statistics are per chunk in that case). Dropout and augmentation are seeded from the
 * replica seed and the global step, so a run is reproducible.
 *
 * <p>Not thread-safe. Parameters, buffers and the optimizer belong to the caller.
 */
public final class LocalReplica {

  private final Network net;
  private final Normalization norm;
  private final Augmentation aug;
  private final long seed;
  private final int workspace;
  private final float[] grads;
  private final ChunkedGradient chunked;
  private final float[] x;
  private final int[] y;
  private int lastCorrect;

  /**
   * A replica of {@code spec} processing up to {@code workspaceBatch} examples at once.
   *
   * @param norm normalisation of the raw pixels
   * @param aug augmentation applied when training ({@code null} = none)
   * @param seed seeds dropout and augmentation
   */
  public LocalReplica(ModelSpec spec, int workspaceBatch, Normalization norm, Augmentation aug, long seed) {
    if (norm == null) {
      throw new IllegalArgumentException("LocalReplica: normalization is null");
    }
    if (norm.channels() != spec.input().c()) {
      throw new IllegalArgumentException("LocalReplica: normalization has " + norm.channels()
          + " channels, the model input " + spec.input() + " has " + spec.input().c());
    }
    this.net = new Network(spec, workspaceBatch);
    this.norm = norm;
    this.aug = aug == null ? Augmentation.NONE : aug;
    this.seed = seed;
    this.workspace = workspaceBatch;
    this.grads = new float[net.numParams()];
    this.chunked = new ChunkedGradient(net, grads);
    this.x = new float[Math.multiplyExact(workspaceBatch, spec.input().size())];
    this.y = new int[workspaceBatch];
  }

  /** The network (its spec, parameter count, slices). */
  public Network network() {
    return net;
  }

  /** The gradient vector the last {@link #gradient} call wrote (owned by the replica). */
  public float[] grads() {
    return grads;
  }

  /** Correct training predictions in the last {@link #gradient} call. */
  public int lastCorrect() {
    return lastCorrect;
  }

  /** The largest chunk processed at once. */
  public int workspaceBatch() {
    return workspace;
  }

  /**
   * Computes into {@link #grads()} (overwritten) the gradient of the mean loss over examples
   * {@code order[from .. from+count)} of {@code set}, in chunks of the workspace batch, and returns
   * that mean loss. {@code step} (the global step) seeds dropout and augmentation. Running
   * statistics in {@code buffers} are updated as in any training forward pass.
   */
  public double gradient(float[] params, float[] buffers, ImageSet set, int[] order, int from, int count, long step) {
    if (count <= 0) {
      throw new IllegalArgumentException("LocalReplica.gradient: batch must hold > 0 examples, got " + count);
    }
    long stepSeed = ChunkedGradient.stepSeed(seed, step);
    double loss = chunked.compute(params, buffers, x, y, count, stepSeed,
        (offset, b, augSeed) -> Batcher.fill(set, order, from + offset, b, norm, aug, augSeed, x, y));
    lastCorrect = chunked.correct();
    return loss;
  }

  /** What {@link #train} did. */
  public record Progress(double lossSum, long correct, long examples, int steps, float lastRate, long globalStep) {
    /** Mean loss per example. */
    public double meanLoss() {
      return examples == 0 ? Double.NaN : lossSum / examples;
    }

    /** Fraction of training examples predicted right. */
    public double accuracy() {
      return examples == 0 ? Double.NaN : (double) correct / examples;
    }
  }

  /**
   * Trains on examples {@code order[from .. from+count)} of {@code set} in batches of
   * {@code batchSize} (the last one possibly short): for each batch, the gradient, then one
   * optimizer step at the scheduled rate {@code schedule.rate(base, epoch, stepInEpoch, stepsPerEpoch)}
   * with {@code stepInEpoch} counted from {@code firstStepInEpoch}. Updates {@code params},
   * {@code buffers} and {@code opt} in place. {@code globalStep} is the step count before the first
   * batch (it seeds dropout); a non-finite loss is an error naming the epoch and batch.
   */
  public Progress train(float[] params, float[] buffers, Optimizer opt, LrSchedule schedule, ImageSet set,
      int[] order, int from, int count, int batchSize, int epoch, int firstStepInEpoch, int stepsPerEpoch,
      long globalStep, TrainingListener listener) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("train.batch-size must be > 0, got " + batchSize);
    }
    double lossSum = 0;
    long correct = 0;
    int steps = 0;
    float rate = Float.NaN;
    long step = globalStep;
    for (int done = 0; done < count; ) {
      int b = Math.min(batchSize, count - done);
      double loss = gradient(params, buffers, set, order, from + done, b, step);
      int stepInEpoch = firstStepInEpoch + steps;
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException("training diverged: loss " + loss + " at epoch " + epoch + ", batch "
            + stepInEpoch + " (learning rate " + rate + ")");
      }
      rate = schedule.rate(opt.spec().learningRate(), epoch, stepInEpoch, stepsPerEpoch);
      opt.step(params, grads, rate);
      lossSum += loss * b;
      correct += lastCorrect;
      done += b;
      steps++;
      step++;
      if (listener != null) {
        listener.onBatch(epoch, stepInEpoch, stepsPerEpoch, loss);
      }
    }
    return new Progress(lossSum, correct, count, steps, rate, step);
  }

  /** Loss and accuracy of {@code params} on all of {@code set}, inference mode, in workspace chunks. */
  public Evaluation evaluate(float[] params, float[] buffers, ImageSet set) {
    int n = set.size();
    if (n == 0) {
      return new Evaluation(Double.NaN, Double.NaN, 0);
    }
    int[] order = new int[Math.min(n, workspace)];
    double loss = 0;
    long correct = 0;
    for (int done = 0; done < n; ) {
      int b = Math.min(workspace, n - done);
      for (int i = 0; i < b; i++) {
        order[i] = done + i;
      }
      Batcher.fill(set, order, 0, b, norm, null, 0L, x, y);
      loss += (double) net.evaluate(params, buffers, x, y, b) * b;
      correct += net.lastCorrect();
      done += b;
    }
    return new Evaluation(loss / n, (double) correct / n, n);
  }
}
