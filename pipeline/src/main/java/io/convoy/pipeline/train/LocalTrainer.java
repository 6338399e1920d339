package io.convoy.pipeline.train;

import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.Optimizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Single-process training: per epoch a seeded shuffle, optimizer steps over the batches (see
 * {@link GradientDescent}), training loss and accuracy, validation (and optionally test) accuracy,
 * the learning-rate schedule, early stopping on validation error with the best parameters kept, and
 * images per second; a {@link TrainingListener} hears about every epoch and batch.
 *
 * <p>Settings beyond {@link TrainOptions}: the workspace batch (largest chunk the network processes
 * at once, default 256; full-batch mode accumulates over chunks of it), augmentation, a test set
 * evaluated after each epoch, and starting parameters (to resume or fine-tune).
 */
public final class LocalTrainer {
  /** Default largest chunk processed at once. */
  public static final int DEFAULT_WORKSPACE_BATCH = 256;

  private int workspaceBatch = DEFAULT_WORKSPACE_BATCH;
  private Augmentation augmentation = Augmentation.NONE;
  private ImageSet testSet;
  private float[] startParams;
  private float[] startBuffers;

  /** Sets the largest chunk processed at once (> 0). */
  public LocalTrainer workspaceBatch(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("LocalTrainer.workspaceBatch must be > 0, got " + n);
    }
    this.workspaceBatch = n;
    return this;
  }

  /** Sets the augmentation applied to training batches. */
  public LocalTrainer augmentation(Augmentation a) {
    this.augmentation = a == null ? Augmentation.NONE : a;
    return this;
  }

  /** A set whose accuracy is reported after every epoch ({@link EpochMetrics#testAccuracy()}); null = none. */
  public LocalTrainer testSet(ImageSet s) {
    this.testSet = s;
    return this;
  }

  /** Starts from these parameters and buffers (copied) instead of a fresh initialisation. */
  public LocalTrainer startFrom(float[] params, float[] buffers) {
    this.startParams = params == null ? null : params.clone();
    this.startBuffers = buffers == null ? null : buffers.clone();
    return this;
  }

  /**
   * Trains {@code spec} on {@code train}. {@code val} may be null (then early stopping must be
   * off). {@code norm} normalises the raw pixels; {@code listener} may be null.
   */
  public TrainResult train(ModelSpec spec, TrainOptions o, ImageSet train, ImageSet val, Normalization norm,
      TrainingListener listener) {
    TrainingListener l = listener == null ? TrainingListener.NONE : listener;
    checkSet("training set", spec, train);
    if (train.size() == 0) {
      throw new IllegalArgumentException("training set is empty");
    }
    if (val != null) {
      checkSet("validation set", spec, val);
    }
    if (testSet != null) {
      checkSet("test set", spec, testSet);
    }
    if (o.earlyStoppingPatience() > 0 && (val == null || val.size() == 0)) {
      throw new IllegalArgumentException("train.early-stopping.patience = " + o.earlyStoppingPatience()
          + " needs a validation set, got none");
    }
    int batch = o.mode().stepBatch(o.batchSize(), train.size());
    int ws = Math.min(workspaceBatch, batch);
    LocalReplica replica = new LocalReplica(spec, Math.max(ws, 1), norm, augmentation, o.seed());
    int n = replica.network().numParams();
    float[] params = new float[n];
    float[] buffers = new float[replica.network().numBuffers()];
    if (startParams != null) {
      if (startParams.length != n || startBuffers == null || startBuffers.length != buffers.length) {
        throw new IllegalArgumentException("start parameters hold " + startParams.length + " params and "
            + (startBuffers == null ? 0 : startBuffers.length) + " buffers, the model needs " + n + " and "
            + buffers.length);
      }
      System.arraycopy(startParams, 0, params, 0, n);
      System.arraycopy(startBuffers, 0, buffers, 0, buffers.length);
    } else {
      replica.network().initParams(params, buffers, o.init(), o.seed());
    }
    Optimizer opt = new Optimizer(o.optimizer(), n);
    Batcher batcher = new Batcher(train.size(), batch, o.seed(), o.mode() != GradientDescent.FULL_BATCH);
    int steps = batcher.numBatches();

    List<EpochMetrics> history = new ArrayList<>();
    float[] bestParams = null;
    float[] bestBuffers = null;
    double bestError = Double.POSITIVE_INFINITY;
    int bestEpoch = -1;
    int sinceBest = 0;
    long globalStep = 0;
    for (int epoch = 0; epoch < o.epochs(); epoch++) {
      int[] order = batcher.order(epoch);
      long t0 = System.nanoTime();
      LocalReplica.Progress p = replica.train(params, buffers, opt, o.schedule(), train, order, 0, train.size(),
          batch, epoch, 0, steps, globalStep, l);
      double seconds = (System.nanoTime() - t0) / 1e9;
      globalStep = p.globalStep();
      double valAcc = val == null ? Double.NaN : replica.evaluate(params, buffers, val).accuracy();
      double testAcc = testSet == null ? Double.NaN : replica.evaluate(params, buffers, testSet).accuracy();
      EpochMetrics m = new EpochMetrics(epoch, p.meanLoss(), p.accuracy(), valAcc, testAcc,
          p.examples() / Math.max(seconds, 1e-9), seconds, 0, 0, p.lastRate());
      history.add(m);
      l.onEpoch(m);
      if (o.earlyStoppingPatience() > 0) {
        double err = 1 - valAcc;
        if (err < bestError - o.minDelta()) {
          bestError = err;
          bestEpoch = epoch;
          bestParams = params.clone();
          bestBuffers = buffers.clone();
          sinceBest = 0;
        } else if (++sinceBest >= o.earlyStoppingPatience()) {
          break;
        }
      }
    }
    if (bestParams != null) {
      return new TrainResult(bestParams, bestBuffers, opt.state(), opt.step(), history, bestEpoch);
    }
    return new TrainResult(params, buffers, opt.state(), opt.step(), history, history.size() - 1);
  }

  private static void checkSet(String what, ModelSpec spec, ImageSet s) {
    if (!s.shape().equals(spec.input())) {
      throw new IllegalArgumentException(what + " holds images of shape " + s.shape() + ", the model input is "
          + spec.input());
    }
    if (s.numClasses() > spec.numClasses()) {
      throw new IllegalArgumentException(what + " has " + s.numClasses() + " classes, the model outputs "
          + spec.numClasses());
    }
  }
}
