package io.convoy.pipeline.spark;

import io.convoy.kernels.VectorOps;
import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.Optimizer;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.progress.LiveProgress;
import io.convoy.pipeline.progress.TaskProgress;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Trains, evaluates and applies a model with Spark. Each partition of the training data is one model
 * replica; see {@link Strategy} for how replicas combine.
 *
 * <h2>Data</h2>
 * A {@link DataSource} is read by tasks (the driver reads headers only). Records are assigned to
 * partitions once by a permutation seeded with the run's seed; each partition is stored as
 * normalised {@code MiniBatch}es in Arrow IPC form ({@link BatchChunk}) in an RDD persisted
 * {@code DISK_ONLY} ({@link #CACHE}). Tasks decode their partition with a task-scoped child allocator,
 * one chunk at a time, and keep the decoded floats in an executor-side cache between rounds (dropped
 * under memory pressure, then decoded again from the local disk copy): the decoded floats are the
 * only in-memory copy of the data set. The normalisation, unless given, is computed in one
 * distributed pass.
 *
 * <h2>Batch sizes</h2>
 * <ul>
 *   <li>PARAMETER_AVERAGING: every replica trains with the full configured batch size per step
 *       ({@code train.batch-size}), on its own shard shuffled per epoch. This keeps the per-step
 *       gradient noise and the learning rate of single-process training (the setting measured with
 *       PyTorch: batch 128 per replica), at the price that R replicas make 1/R of the steps per
 *       epoch each; {@link SparkTrainOptions#lrScaling()} can raise the replicas' rate to make up
 *       for it (never with one partition). With one partition this is exactly the single-process
 *       trainer: same shuffles, dropout and augmentation seeds, same arithmetic, so the parameters
 *       are bit-identical to {@code LocalTrainer}'s (with {@code averageOptimizerState}).</li>
 *   <li>SYNC_SGD: every step is the global batch {@code train.batch-size} of the single-process
 *       epoch order; each partition computes the gradient over the examples of that batch it holds
 *       (about B/P of them; the shares always sum to B, for any partition count), scaled by
 *       share/B, the driver sums them and takes one optimizer step. The result equals single-process
 *       training to float rounding (dropout masks differ, being drawn per partition).</li>
 * </ul>
 *
 * <h2>Costs</h2>
 * Each averaging round and each synchronous step is one Spark job (broadcast of the parameters,
 * one task per partition, tree aggregation of the results, or for averaging rounds on 32 or more
 * partitions the sharded reduce of docs/scaling.md). Per epoch the metrics report compute
 * (sum over rounds of the slowest task), communication (round wall time at the driver minus that)
 * and wait (slowest task minus the mean task).
 *
 * <p>Spark jobs and stages carry names such as {@code "convoy: epoch 3 averaging round 1/1"}; the
 * caller's job description is restored afterwards. Task errors that are ours (bad data, shapes) are
 * rethrown on the driver as the original exception.
 *
 * <p>The listener gets {@code onEpoch} after every epoch, and {@code onBatch} after every
 * synchronous step (SYNC_SGD) or every averaging round (PARAMETER_AVERAGING: the batch index is the
 * last one of the round). Under PARAMETER_AVERAGING it also gets live {@code onBatch} calls while a
 * round runs, from Spark's listener-bus thread, as executor heartbeats bring the tasks' progress
 * (see {@link LiveProgress}); never at the same time as the trainer's own calls. Each call's loss is
 * the mean over the batches it reports that no earlier call covered.
 */
public final class SparkTrainer {
  private static final System.Logger LOG = System.getLogger(SparkTrainer.class.getName());
  private static final Pattern CHECKPOINT = Pattern.compile("epoch-(\\d+)\\.ckpt");
  /**
   * Storage level of the training, validation and test mini-batches. Tasks work on the decoded
   * floats they keep between rounds ({@code TaskState}), so a second serialised copy in Spark's
   * storage memory would only double the data set's share of the heap; on disk it costs nothing
   * until a decoded partition is dropped or a task is retried elsewhere.
   */
  static final StorageLevel CACHE = StorageLevel.DISK_ONLY();
  /** File name of the best model (early stopping) in the checkpoint folder. */
  static final String BEST = "best.model";

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private volatile Normalization lastNormalization;
  private volatile String configText = "";
  private volatile int maxRestarts;
  private volatile float restartLrFactor = 0.1f;

  /** A trainer on {@code spark}'s context. */
  public SparkTrainer(SparkSession spark) {
    if (spark == null) {
      throw new IllegalArgumentException("SparkTrainer: spark session is null");
    }
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  /** Partition count for {@code o}: the configured one, or Spark's default parallelism. */
  public int partitions(SparkTrainOptions o) {
    return o.partitions() > 0 ? o.partitions() : Math.max(1, sc.defaultParallelism());
  }

  /** Config text (the job's resolved HOCON or JSON) stored in every checkpoint; returns this. */
  public SparkTrainer configText(String text) {
    this.configText = text == null ? "" : text;
    return this;
  }

  /**
   * What a diverged run does (a non-finite loss, or non-finite averaged parameters). With
   * {@code maxRestarts} 0 (the default) it stops with an error naming the epoch and the step. Otherwise
   * it restarts up to {@code maxRestarts} times: from the newest checkpoint in the checkpoint folder
   * (checkpoints are only written with finite values, so that is the last good state), or from the
   * initial parameters when there is none, each time with the base learning rate multiplied by
   * {@code lrFactor}. Returns this.
   */
  public SparkTrainer onDivergence(int maxRestarts, float lrFactor) {
    if (maxRestarts < 0) {
      throw new IllegalArgumentException("train.divergence-max-restarts must be >= 0, got " + maxRestarts);
    }
    if (!(lrFactor > 0f && lrFactor < 1f)) {
      throw new IllegalArgumentException("train.divergence-lr-factor must be in (0, 1), got " + lrFactor);
    }
    this.maxRestarts = maxRestarts;
    this.restartLrFactor = lrFactor;
    return this;
  }

  /**
   * The normalisation the last {@link #train} call used (given or computed); save it with the model
   * so that evaluation and prediction normalise the same way. Null before any training.
   */
  public Normalization lastNormalization() {
    return lastNormalization;
  }

  /** Per-channel mean and standard deviation of {@code data} ({@code pixel / 255}), in one distributed pass. */
  public Normalization computeNormalization(DataSource data) {
    String[] saved = saveNames();
    return unwrap(() -> {
      name("convoy: normalisation statistics of " + data.describe());
      try {
        return SparkData.computeNormalization(data.load(sc, Math.max(1, sc.defaultParallelism()), 0L, 0),
            data.shape(sc.hadoopConfiguration()));
      } finally {
        restore(saved);
      }
    });
  }

  // ------------------------------------------------------------------------------------ training

  /**
   * Trains {@code spec} on {@code train}.
   *
   * @param validation nullable; its accuracy is reported per epoch and drives early stopping
   * @param test nullable; its accuracy is reported per epoch
   * @param listener nullable; gets every epoch's metrics (and every step's loss under SYNC_SGD)
   * @return the parameters of the best validation epoch when early stopping is on, else the last
   */
  public TrainResult train(ModelSpec spec, SparkTrainOptions o, DataSource train, DataSource validation,
      DataSource test, TrainingListener listener) {
    return unwrap(() -> doTrain(spec, o, train, validation, test,
        listener == null ? TrainingListener.NONE : listener));
  }

  private TrainResult doTrain(ModelSpec spec, SparkTrainOptions o, DataSource trainSrc, DataSource valSrc,
      DataSource testSrc, TrainingListener l) {
    TrainOptions t = o.train();
    checkSource("training data", spec, trainSrc);
    if (valSrc != null) {
      checkSource("validation data", spec, valSrc);
    }
    if (testSrc != null) {
      checkSource("test data", spec, testSrc);
    }
    if (t.earlyStoppingPatience() > 0 && valSrc == null) {
      throw new IllegalArgumentException("train.early-stopping.patience = " + t.earlyStoppingPatience()
          + " needs validation data, got none");
    }
    int parts = partitions(o);
    ExecutorBackends.check(sc).ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
    String run = UUID.randomUUID().toString();
    String[] saved = saveNames();
    List<JavaRDD<?>> cached = new ArrayList<>();
    try {
      name("convoy: load training data " + trainSrc.describe());
      JavaRDD<DataChunk> raw = trainSrc.load(sc, parts, t.seed(), spec.numClasses())
          .setName("convoy: training records (raw)");
      Normalization norm = o.normalization();
      if (norm == null) {
        // read twice (statistics, then the mini-batches): keep the records rather than reading them again
        raw.persist(StorageLevel.MEMORY_AND_DISK_SER());
        cached.add(raw);
        name("convoy: normalisation statistics of " + trainSrc.describe());
        norm = SparkData.computeNormalization(raw, spec.input());
        LOG.log(System.Logger.Level.INFO, "convoy: computed " + norm);
      }
      lastNormalization = norm;
      if (norm.channels() != spec.input().c()) {
        throw new IllegalArgumentException("normalization has " + norm.channels() + " channels, the model input "
            + spec.input() + " has " + spec.input().c());
      }
      JavaRDD<BatchChunk> data = SparkData.toArrow(raw, spec.input(), norm, spec.numClasses())
          .setName("convoy: training mini-batches (Arrow IPC)").persist(CACHE);
      cached.add(data);
      name("convoy: cache training mini-batches");
      Layout layout = layout(data, parts);
      long[] sizes = layout.sizes();
      raw.unpersist(false);   // a no-op unless the statistics pass cached it
      long total = 0;
      for (long s : sizes) {
        total += s;
      }
      if (total == 0) {
        throw new IllegalArgumentException("training data " + trainSrc.describe() + " is empty");
      }
      if (total < parts) {
        throw new IllegalArgumentException("training on " + parts + " partitions (train.partitions; 0 = Spark's default parallelism) but the"
            + " training data holds only " + total + " examples");
      }
      JavaRDD<BatchChunk> val = valSrc == null ? null : prepare(valSrc, spec, norm, parts, t.seed(), "validation", cached);
      JavaRDD<BatchChunk> tst = testSrc == null ? null : prepare(testSrc, spec, norm, parts, t.seed(), "test", cached);
      SparkTrainOptions attempt = o;
      for (int restarts = 0; ; restarts++) {
        try {
          return loop(spec, attempt, norm, data, "train-" + run, layout, (int) total, val, "val-" + run, tst,
              "test-" + run, l);
        } catch (Exception e) {   // Spark throws its checked SparkException undeclared
          IllegalStateException d = divergence(e);
          if (d == null) {
            throw e;
          }
          Path good = o.checkpointDir() == null ? null : latestCheckpoint(o.checkpointDir());
          String from = good != null ? "the last good checkpoint " + good : "the initial parameters";
          float rate = attempt.train().optimizer().learningRate();
          if (restarts >= maxRestarts) {
            String tail = maxRestarts == 0 ? "; the run stopped (train.on-divergence = stop)"
                : "; the run stopped after " + restarts + " restart(s), the last with learning rate " + rate;
            // the task's error is the cause, not Spark's wrapper, so that unwrap keeps this message
            throw new IllegalStateException(d.getMessage() + tail + (good != null ? "; " + from + " is intact" : ""), d);
          }
          float lower = rate * restartLrFactor;
          TrainOptions t0 = attempt.train();
          attempt = attempt.withTrain(new TrainOptions(t0.epochs(), t0.batchSize(), t0.mode(),
              t0.optimizer().withLearningRate(lower), t0.schedule(), t0.init(), t0.seed(),
              t0.earlyStoppingPatience(), t0.minDelta())).withCheckpoints(o.checkpointDir(), good != null);
          LOG.log(System.Logger.Level.WARNING, "convoy: " + d.getMessage() + "; restart " + (restarts + 1) + " of "
              + maxRestarts + " from " + from + " with learning rate " + lower + " (was " + rate + ")");
        }
      }
    } finally {
      for (JavaRDD<?> r : cached) {
        r.unpersist(false);
      }
      TaskState.forget("train-" + run);
      TaskState.forget("val-" + run);
      TaskState.forget("test-" + run);
      restore(saved);
    }
  }

  private JavaRDD<BatchChunk> prepare(DataSource src, ModelSpec spec, Normalization norm, int parts, long seed,
      String what, List<JavaRDD<?>> cached) {
    name("convoy: load " + what + " data " + src.describe());
    JavaRDD<BatchChunk> rdd = SparkData.toArrow(src.load(sc, parts, seed, spec.numClasses()), spec.input(), norm,
        spec.numClasses()).setName("convoy: " + what + " mini-batches (Arrow IPC)")
        .persist(CACHE);
    cached.add(rdd);
    return rdd;
  }

  /** Examples per partition and the smallest and largest record number (materialises and caches {@code data}). */
  private record Layout(long[] sizes, long minIndex, long maxIndex) {
  }

  private static Layout layout(JavaRDD<BatchChunk> data, int parts) {
    List<long[]> counts = data.mapPartitionsWithIndex((p, it) -> {
      long c = 0;
      long lo = Long.MAX_VALUE;
      long hi = Long.MIN_VALUE;
      while (it.hasNext()) {
        int[] idx = it.next().indices();
        c += idx.length;
        for (int i : idx) {
          lo = Math.min(lo, i);
          hi = Math.max(hi, i);
        }
      }
      return List.of(new long[] {p, c, lo, hi}).iterator();
    }, true).collect();
    long[] sizes = new long[parts];
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (long[] c : counts) {
      sizes[(int) c[0]] = c[1];
      lo = Math.min(lo, c[2]);
      hi = Math.max(hi, c[3]);
    }
    return new Layout(sizes, lo, hi);
  }

  /** Mutable training state on the driver. */
  private static final class State {
    float[] params;
    float[] buffers;
    float[] optState;
    int optStep;
    int epoch;
    long globalStep;
    List<EpochMetrics> history = new ArrayList<>();
    float[] bestParams;
    float[] bestBuffers;
    double bestError = Double.POSITIVE_INFINITY;
    int bestEpoch = -1;
    int sinceBest;
  }

  private TrainResult loop(ModelSpec spec, SparkTrainOptions o, Normalization norm, JavaRDD<BatchChunk> data,
      String dataId, Layout layout, int total, JavaRDD<BatchChunk> val, String valId, JavaRDD<BatchChunk> tst,
      String testId, TrainingListener l) {
    TrainOptions t = o.train();
    long[] sizes = layout.sizes();
    State st = start(spec, o);
    Optimizer driverOpt = null;
    if (o.strategy() == Strategy.SYNC_SGD) {
      driverOpt = new Optimizer(t.optimizer(), st.params.length);
      driverOpt.setState(st.optState);
      driverOpt.setStep(st.optStep);
    }
    Augmentation aug = o.augmentation() == null ? Augmentation.NONE : o.augmentation();
    boolean stopped = false;
    for (int epoch = st.epoch; epoch < t.epochs() && !stopped; epoch++) {
      Totals tot = new Totals();
      long e0 = System.nanoTime();
      if (o.strategy() == Strategy.PARAMETER_AVERAGING) {
        averagingEpoch(spec, o, norm, aug, data, dataId, sizes, epoch, st, tot, l);
      } else {
        syncEpoch(spec, o, norm, aug, data, dataId, layout, total, epoch, st, driverOpt, tot, l);
        st.optState = driverOpt.state();
        st.optStep = driverOpt.step();
      }
      double epochSeconds = (System.nanoTime() - e0) / 1e9;
      double valAcc = Double.NaN;
      if (val != null) {
        name("convoy: epoch " + epoch + " validation");
        valAcc = evaluateSums(spec, st.params, st.buffers, val, valId, false, true, evalBatch(t)).accuracy();
      }
      double testAcc = Double.NaN;
      if (tst != null) {
        name("convoy: epoch " + epoch + " test");
        testAcc = evaluateSums(spec, st.params, st.buffers, tst, testId, false, true, evalBatch(t)).accuracy();
      }
      EpochMetrics m = new EpochMetrics(epoch, tot.lossSum / Math.max(1, tot.count),
          (double) tot.correct / Math.max(1, tot.count), valAcc, testAcc, tot.count / Math.max(epochSeconds, 1e-9),
          tot.compute, tot.communication, tot.wait, tot.lastRate);
      st.history.add(m);
      st.epoch = epoch + 1;
      LOG.log(System.Logger.Level.INFO, "convoy: " + m.summary());
      if (t.earlyStoppingPatience() > 0) {
        double err = 1 - valAcc;
        if (err < st.bestError - t.minDelta()) {
          st.bestError = err;
          st.bestEpoch = epoch;
          st.bestParams = st.params.clone();
          st.bestBuffers = st.buffers.clone();
          st.sinceBest = 0;
          if (o.checkpointDir() != null) {
            ModelFile.write(new Path(o.checkpointDir(), BEST), sc.hadoopConfiguration(),
                new SavedModel(spec, st.bestParams, st.bestBuffers, metadata(o, norm, st)));
          }
        } else if (++st.sinceBest >= t.earlyStoppingPatience()) {
          stopped = true;
        }
      }
      if (o.checkpointDir() != null) {
        writeCheckpoint(spec, o, norm, st);
      }
      l.onEpoch(m);
    }
    if (st.bestParams != null) {
      return new TrainResult(st.bestParams, st.bestBuffers, st.optState, st.optStep, st.history, st.bestEpoch);
    }
    return new TrainResult(st.params, st.buffers, st.optState, st.optStep, st.history, st.history.size() - 1);
  }

  /** Per-epoch sums of the round results. */
  private static final class Totals {
    double lossSum;
    long correct;
    long count;
    double compute;
    double communication;
    double wait;
    double lastRate = Double.NaN;

    void add(RoundResult r, double wallSeconds) {
      lossSum += r.lossSum;
      correct += r.correct;
      count += r.count;
      compute += r.computeMax;
      communication += Math.max(0, wallSeconds - r.computeMax);
      wait += r.waitSeconds();
    }
  }

  private void averagingEpoch(ModelSpec spec, SparkTrainOptions o, Normalization norm, Augmentation aug,
      JavaRDD<BatchChunk> data, String dataId, long[] sizes, int epoch, State st, Totals tot, TrainingListener l) {
    TrainOptions t = o.train();
    int parts = sizes.length;
    int[] replicaBatches = new int[parts];
    int maxBatches = 0;
    for (int p = 0; p < parts; p++) {
      replicaBatches[p] = Replicas.replicaBatches(t.mode(), t.batchSize(), (int) sizes[p]);
      maxBatches = Math.max(maxBatches, replicaBatches[p]);
    }
    int period = o.averagingPeriod() == 0 ? maxBatches : o.averagingPeriod();
    int rounds = Math.max(1, (maxBatches + period - 1) / period);
    try (LiveProgress live = LiveProgress.attach(sc.sc(), l)) {
      for (int r = 0; r < rounds; r++) {
        averagingRound(spec, o, norm, aug, data, dataId, sizes, epoch, r, rounds, period, maxBatches, replicaBatches,
            st, tot, l, live);
      }
    }
  }

  /** Round {@code r} of an epoch: one Spark job, then the average of the replicas. */
  private void averagingRound(ModelSpec spec, SparkTrainOptions o, Normalization norm, Augmentation aug,
      JavaRDD<BatchChunk> data, String dataId, long[] sizes, int epoch, int r, int rounds, int period, int maxBatches,
      int[] replicaBatches, State st, Totals tot, TrainingListener l, LiveProgress live) {
    TrainOptions t = o.train();
    int parts = replicaBatches.length;
    boolean withState = o.averageOptimizerState();
    int first = r * period;
    int end = Math.min(maxBatches, first + period);
    long taskBatches = 0;
    for (int nb : replicaBatches) {
      taskBatches += Math.max(0, Math.min(nb, end) - first);
    }
    long r0 = System.nanoTime();
    // the replicas' rate: the configured one scaled for their number (factor 1 for one replica)
    OptimizerSpec opt = t.optimizer().withLearningRate(t.optimizer().learningRate() * o.lrScaling().factor(parts));
    Replicas.RoundInput in = new Replicas.RoundInput(dataId, spec, opt, t.schedule(), t.mode(),
        t.batchSize(), t.seed(), epoch, first, period, st.globalStep, st.params, st.buffers,
        withState ? st.optState : null, st.optStep, withState, aug, norm, sizes);
    Broadcast<Replicas.RoundInput> b = sc.broadcast(in);
    // captured by the closure, not broadcast, so that every task gets its own accumulator copies
    TaskProgress progress = live.startRound(epoch, first, end - first, maxBatches, taskBatches);
    RoundResult res;
    try {
      name("convoy: epoch " + epoch + " averaging round " + (r + 1) + "/" + rounds);
      res = sumRound(data.mapPartitionsWithIndex((p, it) -> Replicas.averagingRound(p, it, b.value(), progress),
          false), parts, (long) st.params.length + st.buffers.length + (withState ? st.optState.length : 0));
    } finally {
      b.destroy();
      live.endRound();
    }
    if (res.tasks != parts) {
      throw new IllegalStateException("averaging round " + (r + 1) + " of epoch " + epoch + " got results from "
          + res.tasks + " of " + parts + " partitions");
    }
    st.params = RoundResult.mean(res.params, parts);
    st.buffers = RoundResult.mean(res.buffers, parts);
    if (withState) {
      st.optState = RoundResult.mean(res.optState, parts);
    }
    checkFinite(st, "epoch " + epoch + ", averaging round " + (r + 1) + "/" + rounds + " (batches " + first + ".."
        + (end - 1) + ")");
    st.optStep += res.maxSteps;
    st.globalStep += res.maxSteps;
    int lastBatch = Math.min(maxBatches, (r + 1) * period) - 1;
    tot.lastRate = t.schedule().rate(opt.learningRate(), epoch, lastBatch, maxBatches);
    tot.add(res, (System.nanoTime() - r0) / 1e9);
    // the loss of the batches that live progress has not reported yet
    l.onBatch(epoch, lastBatch, maxBatches, live.unreportedLoss(res.lossSum, res.count));
  }

  /**
   * Spark setting (or local property of the calling thread) that picks how an averaging round sums
   * the replicas: tree, sharded or auto (the default).
   */
  public static final String REDUCE_KEY = "spark.convoy.averaging.reduce";

  /**
   * Peak bytes of Arrow off-heap memory this JVM's trainer has held at once (mini-batch encoding and
   * decoding): the driver's figure, and in local mode the executors' too, as they run in the same JVM.
   */
  public static long arrowPeakBytes() {
    return SparkData.arrowPeakBytes();
  }
  /** Under {@code auto}, the sharded reduce is used from this partition count on (docs/scaling.md). */
  static final int SHARDED_FROM = 32;
  /** Floats per slice of the sharded reduce: fewer, larger slices for small models (one task each). */
  static final long SLICE_FLOATS = 1 << 18;

  /**
   * Sums an averaging round's results ({@code floats}: the length of all their vectors together):
   * {@code treeAggregate} (the driver receives about sqrt(P) full vectors) or
   * {@link RoundResult#shardedSum} (each slice summed by its own task, the driver receives each slice
   * once), chosen by {@link #REDUCE_KEY}; see docs/scaling.md for the measurements.
   */
  private RoundResult sumRound(JavaRDD<RoundResult> results, int parts, long floats) {
    String local = sc.getLocalProperty(REDUCE_KEY);   // a thread's own choice wins over the session's
    String mode = (local != null ? local : sc.getConf().get(REDUCE_KEY, "auto")).trim().toLowerCase(Locale.ROOT);
    boolean sharded = switch (mode) {
      case "tree" -> false;
      case "sharded" -> true;
      case "auto" -> parts >= SHARDED_FROM;
      default -> throw new IllegalArgumentException(REDUCE_KEY + " must be tree, sharded or auto, got '" + mode + "'");
    };
    // a slice per 2^18 floats, at most one per partition: a 0.1 M model is one reduce task, not P
    int slices = (int) Math.max(1, Math.min(parts, (floats + SLICE_FLOATS - 1) / SLICE_FLOATS));
    return sharded ? RoundResult.shardedSum(results, slices)
        : results.treeAggregate(new RoundResult(), RoundResult::merge, RoundResult::merge);
  }

  private void syncEpoch(ModelSpec spec, SparkTrainOptions o, Normalization norm, Augmentation aug,
      JavaRDD<BatchChunk> data, String dataId, Layout layout, int total, int epoch, State st, Optimizer opt,
      Totals tot, TrainingListener l) {
    TrainOptions t = o.train();
    // position r of the epoch order is the r-th smallest record number: base + r when the record
    // numbers are contiguous (the usual case), else looked up in their sorted list
    long base = layout.minIndex();
    Broadcast<int[]> records = null;
    if (layout.maxIndex() - layout.minIndex() + 1 != total) {
      name("convoy: record numbers of the training data");
      int[] all = data.flatMap(c -> Arrays.stream(c.indices()).boxed().iterator()).collect().stream()
          .mapToInt(Integer::intValue).sorted().toArray();
      records = sc.broadcast(all);
    }
    try {
      syncSteps(spec, o, norm, aug, data, dataId, layout.sizes(), (int) base, records, total, epoch, st, opt, tot, l);
    } finally {
      if (records != null) {
        records.destroy();
      }
    }
  }

  private void syncSteps(ModelSpec spec, SparkTrainOptions o, Normalization norm, Augmentation aug,
      JavaRDD<BatchChunk> data, String dataId, long[] sizes, int base, Broadcast<int[]> records, int total, int epoch,
      State st, Optimizer opt, Totals tot, TrainingListener l) {
    TrainOptions t = o.train();
    int parts = data.getNumPartitions();
    int stepBatch = t.mode().stepBatch(t.batchSize(), total);
    boolean shuffle = t.mode() != GradientDescent.FULL_BATCH;
    int steps = (total + stepBatch - 1) / stepBatch;
    for (int s = 0; s < steps; s++) {
      long r0 = System.nanoTime();
      Replicas.StepInput in = new Replicas.StepInput(dataId, spec, total, base, records, stepBatch, shuffle, t.seed(),
          epoch, s, st.globalStep, st.params, st.buffers, aug, norm, sizes);
      Broadcast<Replicas.StepInput> b = sc.broadcast(in);
      RoundResult res;
      try {
        name("convoy: epoch " + epoch + " sync step " + (s + 1) + "/" + steps);
        res = data.mapPartitionsWithIndex((p, it) -> Replicas.syncStep(p, it, b.value()), false)
            .treeAggregate(new RoundResult(), RoundResult::merge, RoundResult::merge);
      } finally {
        b.destroy();
      }
      if (res.tasks != parts || res.params == null) {
        throw new IllegalStateException("sync step " + (s + 1) + " of epoch " + epoch + " got results from "
            + res.tasks + " of " + parts + " partitions");
      }
      double loss = res.lossSum / Math.max(1, res.count);
      if (!Double.isFinite(loss)) {
        throw new IllegalStateException("training diverged: loss " + loss + " at epoch " + epoch + ", batch " + s);
      }
      float lr = t.schedule().rate(t.optimizer().learningRate(), epoch, s, steps);
      opt.step(st.params, RoundResult.mean(res.params, 1), lr);
      if (res.buffers != null) {
        st.buffers = RoundResult.mean(res.buffers, 1);
      }
      checkFinite(st, "epoch " + epoch + ", batch " + s + " (learning rate " + lr + ")");
      st.globalStep++;
      tot.lastRate = lr;
      tot.add(res, (System.nanoTime() - r0) / 1e9);
      l.onBatch(epoch, s, steps, loss);
    }
  }

  // -------------------------------------------------------------------------------- checkpoints

  private State start(ModelSpec spec, SparkTrainOptions o) {
    TrainOptions t = o.train();
    State st = new State();
    if (o.resume()) {
      Path latest = latestCheckpoint(o.checkpointDir());
      if (latest != null) {
        Configuration conf = sc.hadoopConfiguration();
        Checkpoint c = ModelFile.readCheckpoint(latest, conf);
        if (!c.model().spec().equals(spec)) {
          throw new IllegalArgumentException("checkpoint " + latest + " holds a different model:\n"
              + c.model().spec().summary() + "\nthe run trains:\n" + spec.summary());
        }
        if (c.optimizer().kind() != t.optimizer().kind()) {
          throw new IllegalArgumentException("checkpoint " + latest + " was trained with optimizer "
              + c.optimizer().kind().configName() + ", the run uses " + t.optimizer().kind().configName());
        }
        st.params = c.model().params();
        st.buffers = c.model().buffers();
        st.optState = c.optimizerState();
        st.optStep = c.optimizerStep();
        st.epoch = c.epoch();
        st.globalStep = c.step();
        st.history = new ArrayList<>(c.history());
        Map<String, Object> md = c.model().metadata();
        if (md.get("best-epoch") instanceof Number be && be.intValue() >= 0) {
          st.bestEpoch = be.intValue();
          st.bestError = md.get("best-error") instanceof Number e ? e.doubleValue() : Double.POSITIVE_INFINITY;
          st.sinceBest = md.get("since-best") instanceof Number s ? s.intValue() : 0;
          Path best = new Path(o.checkpointDir(), BEST);
          try {
            if (best.getFileSystem(conf).exists(best)) {
              SavedModel bm = ModelFile.readModel(best, conf);
              st.bestParams = bm.params();
              st.bestBuffers = bm.buffers();
            }
          } catch (IOException e) {
            throw new IllegalArgumentException("checkpoint folder " + o.checkpointDir() + ": cannot read " + BEST
                + ": " + e, e);
          }
        }
        LOG.log(System.Logger.Level.INFO, "convoy: resuming from " + latest + " at epoch " + st.epoch);
        return st;
      }
      LOG.log(System.Logger.Level.INFO, "convoy: no checkpoint in " + o.checkpointDir() + ", starting afresh");
    }
    Network net = new Network(spec, 1);
    st.params = new float[net.numParams()];
    st.buffers = new float[net.numBuffers()];
    net.initParams(st.params, st.buffers, t.init(), t.seed());
    st.optState = new float[t.optimizer().slots() * net.numParams()];
    return st;
  }

  /** The checkpoint of the highest epoch in {@code dir}, or null when there is none (or no folder). */
  Path latestCheckpoint(String dir) {
    Path d = new Path(dir);
    try {
      FileSystem fs = d.getFileSystem(sc.hadoopConfiguration());
      if (!fs.exists(d)) {
        return null;
      }
      Path best = null;
      int bestEpoch = -1;
      for (FileStatus f : fs.listStatus(d)) {
        Matcher m = CHECKPOINT.matcher(f.getPath().getName());
        if (f.isFile() && m.matches() && Integer.parseInt(m.group(1)) > bestEpoch) {
          bestEpoch = Integer.parseInt(m.group(1));
          best = f.getPath();
        }
      }
      return best;
    } catch (IOException e) {
      throw new IllegalArgumentException("checkpoint folder " + dir + " (checkpoint.dir): cannot list: " + e, e);
    }
  }

  private void writeCheckpoint(ModelSpec spec, SparkTrainOptions o, Normalization norm, State st) {
    TrainOptions t = o.train();
    Path p = new Path(o.checkpointDir(), String.format(Locale.ROOT, "epoch-%04d.ckpt", st.epoch));
    // never let a bad state become the newest checkpoint: resuming and restarting read that one
    checkFinite(st, "the end of epoch " + (st.epoch - 1) + ", before writing checkpoint " + p);
    Checkpoint c = new Checkpoint(new SavedModel(spec, st.params, st.buffers, metadata(o, norm, st)), t.optimizer(),
        st.optState, st.optStep, st.epoch, st.globalStep, t.seed(), 0L,
        configText.isEmpty() ? describe(o) : configText, st.history);
    ModelFile.write(p, sc.hadoopConfiguration(), c);
  }

  private static Map<String, Object> metadata(SparkTrainOptions o, Normalization norm, State st) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("normalization-mean", floats(norm.mean()));
    m.put("normalization-std", floats(norm.std()));
    m.put("strategy", o.strategy().configName());
    m.put("best-epoch", st.bestEpoch);
    m.put("best-error", Double.isFinite(st.bestError) ? st.bestError : -1.0);
    m.put("since-best", st.sinceBest);
    return m;
  }

  private static List<Double> floats(float[] v) {
    List<Double> out = new ArrayList<>(v.length);
    for (float f : v) {
      out.add((double) f);
    }
    return out;
  }

  private static String describe(SparkTrainOptions o) {
    TrainOptions t = o.train();
    return String.format(Locale.ROOT, "{\"strategy\": \"%s\", \"averaging-period\": %d, \"average-optimizer-state\": %s,"
        + " \"partitions\": %d, \"epochs\": %d, \"batch-size\": %d, \"mode\": \"%s\", \"seed\": %d}",
        o.strategy().configName(), o.averagingPeriod(), o.averageOptimizerState(), o.partitions(), t.epochs(),
        t.batchSize(), t.mode().configName(), t.seed());
  }

  /**
   * Throws the divergence error when the driver's parameters, buffers or optimizer state hold a NaN
   * or an infinity; {@code where} names the epoch and step.
   */
  private static void checkFinite(State st, String where) {
    String bad = !VectorOps.allFinite(st.params, 0, st.params.length) ? "parameters"
        : !VectorOps.allFinite(st.buffers, 0, st.buffers.length) ? "buffers (batch-norm statistics)"
        : st.optState != null && !VectorOps.allFinite(st.optState, 0, st.optState.length) ? "optimizer state"
        : null;
    if (bad != null) {
      throw new IllegalStateException(DIVERGED + "non-finite " + bad + " at " + where);
    }
  }

  /** Prefix of every divergence error, the trainer's own and its tasks' ({@code Replicas}). */
  static final String DIVERGED = "training diverged: ";

  /** The divergence error in {@code e}'s cause chain (thrown on the driver or in a task), or null. */
  static IllegalStateException divergence(Throwable e) {
    for (Throwable x = e; x != null; x = x.getCause()) {
      if (x instanceof IllegalStateException ise && ise.getMessage() != null
          && ise.getMessage().startsWith(DIVERGED)) {
        return ise;
      }
    }
    return null;
  }

  // --------------------------------------------------------------------- evaluation, prediction

  /**
   * Accuracy, mean loss, confusion matrix {@code [true][predicted]} and per-class precision/recall
   * of {@code model} on {@code data}. {@code norm} null = computed from {@code data} (pass the
   * training normalisation to evaluate as trained).
   */
  public Evaluation evaluate(SavedModel model, Normalization norm, DataSource data) {
    String[] saved = saveNames();
    return unwrap(() -> {
      ModelSpec spec = model.spec();
      checkSource("evaluation data", spec, data);
      int parts = Math.max(1, sc.defaultParallelism());
      name("convoy: load evaluation data " + data.describe());
      JavaRDD<DataChunk> raw = data.load(sc, parts, 0L, spec.numClasses());
      Normalization n = norm != null ? norm : SparkData.computeNormalization(raw, spec.input());
      JavaRDD<BatchChunk> chunks = SparkData.toArrow(raw, spec.input(), n, spec.numClasses())
          .setName("convoy: evaluation mini-batches (Arrow IPC)");
      name("convoy: evaluate on " + data.describe());
      try {
        return evaluateSums(spec, model.params(), model.buffers(), chunks, "eval-" + UUID.randomUUID(), true, false,
            Inference.BATCH);
      } finally {
        restore(saved);
      }
    });
  }

  /**
   * Examples per inference call when evaluating during training: the replicas' workspace batch, so
   * that evaluation runs on the task thread's training network instead of building a second one.
   */
  private static int evalBatch(TrainOptions t) {
    return Math.max(1, Math.min(t.batchSize(), Replicas.WORKSPACE));
  }

  private Evaluation evaluateSums(ModelSpec spec, float[] params, float[] buffers, JavaRDD<BatchChunk> chunks,
      String dataId, boolean confusion, boolean cache, int batch) {
    Broadcast<Inference.ModelInput> b = sc.broadcast(new Inference.ModelInput(dataId, spec, params, buffers, batch));
    try {
      Inference.Sums s = chunks.mapPartitionsWithIndex((p, it) -> Inference.evaluate(p, it, b.value(), confusion,
          cache), false).treeAggregate(new Inference.Sums(), Inference.Sums::merge, Inference.Sums::merge);
      int k = spec.numClasses();
      long[][] cm = new long[k][k];
      if (s.confusion != null) {
        for (int i = 0; i < k; i++) {
          System.arraycopy(s.confusion, i * k, cm[i], 0, k);
        }
        return Evaluation.fromConfusion(cm, s.lossSum);
      }
      double acc = s.count == 0 ? Double.NaN : (double) s.correct / s.count;
      return new Evaluation(acc, s.count == 0 ? Double.NaN : s.lossSum / s.count, cm, new double[k], new double[k],
          s.count);
    } finally {
      b.destroy();
    }
  }

  /**
   * Writes {@code model}'s predictions for {@code data} to {@code outputPath}: one row per example,
   * ordered by record number, with columns {@code index, label, predicted, p0 .. p(k-1)}; Parquet
   * when the path ends in {@code .parquet}, otherwise CSV with a header line. The output is written
   * to a temporary folder beside it and renamed into place (an existing output is replaced).
   *
   * @return the number of rows written
   */
  public long predict(SavedModel model, Normalization norm, DataSource data, String outputPath) {
    return predict(model, norm, data, outputPath,
        outputPath != null && outputPath.toLowerCase(Locale.ROOT).endsWith(".parquet") ? "parquet" : "csv");
  }

  /** {@link #predict(SavedModel, Normalization, DataSource, String)} with an explicit format: csv or parquet. */
  public long predict(SavedModel model, Normalization norm, DataSource data, String outputPath, String format) {
    if (outputPath == null || outputPath.isBlank()) {
      throw new IllegalArgumentException("predict output path must be set, got " + outputPath);
    }
    if (!"csv".equals(format) && !"parquet".equals(format)) {
      throw new IllegalArgumentException("predict output format must be csv or parquet, got " + format);
    }
    String[] saved = saveNames();
    return unwrap(() -> {
      ModelSpec spec = model.spec();
      checkSource("prediction data", spec, data);
      int parts = Math.max(1, sc.defaultParallelism());
      name("convoy: load prediction data " + data.describe());
      // sources that can read in record order need neither the loading shuffle nor a sort
      JavaRDD<DataChunk> ordered = data.loadInOrder(sc, parts, 0);
      JavaRDD<DataChunk> raw = ordered != null ? ordered : data.load(sc, parts, 0L, 0);
      Normalization n = norm != null ? norm : SparkData.computeNormalization(raw, spec.input());
      Broadcast<Inference.ModelInput> b = sc.broadcast(new Inference.ModelInput("predict", spec, model.params(),
          model.buffers()));
      Path out = new Path(outputPath);
      Path tmp = new Path(out.getParent(), "._convoy-tmp-" + out.getName() + "-" + UUID.randomUUID());
      try {
        long count;
        name("convoy: predict " + data.describe() + " to " + outputPath);
        if (ordered != null && "csv".equals(format)) {
          count = writeCsvInOrder(ordered, b, n, tmp);
        } else {
          count = writeWithSpark(spec, ordered != null ? ordered : raw, ordered == null, b, n, tmp, format, parts);
        }
        FileSystem fs = out.getFileSystem(sc.hadoopConfiguration());
        if (fs.exists(out) && !fs.delete(out, true)) {
          throw new IllegalStateException("cannot replace existing output " + out);
        }
        if (!fs.rename(tmp, out)) {
          throw new IllegalStateException("cannot rename " + tmp + " to " + out);
        }
        return count;
      } catch (IOException e) {
        throw new IllegalStateException("writing predictions to " + outputPath + " failed: " + e, e);
      } finally {
        b.destroy();
        try {
          FileSystem fs = tmp.getFileSystem(sc.hadoopConfiguration());
          if (fs.exists(tmp)) {
            fs.delete(tmp, true);
          }
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "convoy: cannot remove temporary output " + tmp + ": " + e);
        }
        restore(saved);
      }
    });
  }

  /**
   * One Spark job: every task predicts its contiguous range of records and writes it as one CSV part
   * file (header line first, like Spark's CSV writer) into {@code folder}, then the driver adds
   * {@code _SUCCESS}. The part files in name order hold the rows in record order.
   */
  private long writeCsvInOrder(JavaRDD<DataChunk> ordered, Broadcast<Inference.ModelInput> b, Normalization n,
      Path folder) throws IOException {
    HadoopConf hc = new HadoopConf(sc.hadoopConfiguration());
    String dir = folder.toString();
    FileSystem fs = folder.getFileSystem(sc.hadoopConfiguration());
    fs.mkdirs(folder);
    long count = ordered.mapPartitionsWithIndex((p, it) -> List.of(Inference.writeCsv(p, it, b.value(), n, dir,
        hc.get())).iterator(), false).fold(0L, Long::sum);
    fs.create(new Path(folder, "_SUCCESS"), true).close();
    return count;
  }

  /**
   * Parquet output, or CSV from a source that cannot read in record order: rows through a DataFrame,
   * sorted by record number when {@code sort} (records arrive in the load's random partitions).
   */
  private long writeWithSpark(ModelSpec spec, JavaRDD<DataChunk> raw, boolean sort,
      Broadcast<Inference.ModelInput> b, Normalization n, Path folder, String format, int parts) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("index", DataTypes.LongType, false));
    fields.add(DataTypes.createStructField("label", DataTypes.IntegerType, false));
    fields.add(DataTypes.createStructField("predicted", DataTypes.IntegerType, false));
    for (int c = 0; c < spec.numClasses(); c++) {
      fields.add(DataTypes.createStructField("p" + c, DataTypes.FloatType, false));
    }
    StructType schema = DataTypes.createStructType(fields);
    JavaRDD<Row> rows = raw.mapPartitions(it -> Inference.predictRows(it, b.value(), n), true).cache();
    try {
      Dataset<Row> df = spark.createDataFrame(rows, schema);
      if (sort) {
        df = df.orderBy("index").coalesce(parts);
      }
      if ("parquet".equals(format)) {
        df.write().parquet(folder.toString());
      } else {
        df.write().option("header", "true").csv(folder.toString());
      }
      return rows.count();
    } finally {
      rows.unpersist(false);
    }
  }

  // ------------------------------------------------------------------------------------ checks

  /**
   * Names the next Spark jobs and their stages: the job description and the call site (which
   * becomes the stage names), e.g. {@code "convoy: epoch 3 averaging round 1/1"}.
   */
  private void name(String what) {
    sc.setJobDescription(what);
    sc.setCallSite(what);
  }

  /** The caller's job description and call site, to put back when we are done. */
  private String[] saveNames() {
    return new String[] {sc.getLocalProperty("spark.job.description"), sc.getLocalProperty("callSite.short")};
  }

  private void restore(String[] saved) {
    sc.setJobDescription(saved[0]);
    if (saved[1] == null) {
      sc.clearCallSite();
    } else {
      sc.setCallSite(saved[1]);
    }
  }

  private void checkSource(String what, ModelSpec spec, DataSource src) {
    if (src == null) {
      throw new IllegalArgumentException(what + " source is null");
    }
    TensorShape shape = src.shape(sc.hadoopConfiguration());
    if (!shape.equals(spec.input())) {
      throw new IllegalArgumentException(what + " " + src.describe() + " holds images of shape " + shape
          + ", the model input is " + spec.input());
    }
    if (src.numClasses() > 0 && src.numClasses() != spec.numClasses()) {
      throw new IllegalArgumentException(what + " " + src.describe() + " declares " + src.numClasses()
          + " classes, the model outputs " + spec.numClasses());
    }
  }

  private interface Body<T> {
    T run();
  }

  /**
   * Runs {@code body}; when a Spark job failed because a task threw one of our own errors
   * (IllegalArgumentException, IllegalStateException: bad data, shapes), that error is rethrown as
   * is, with Spark's exception suppressed, so callers see the message naming the file and record.
   */
  private static <T> T unwrap(Body<T> body) {
    try {
      return body.run();
    } catch (Exception e) {   // Spark throws its checked SparkException undeclared
      boolean fromSpark = false;
      for (Throwable x = e; x != null; x = x.getCause()) {
        if (x instanceof SparkException) {
          fromSpark = true;
        } else if (fromSpark && (x instanceof IllegalArgumentException || x instanceof IllegalStateException)) {
          RuntimeException r = (RuntimeException) x;
          r.addSuppressed(e);
          throw r;
        }
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("Spark job failed: " + e.getMessage(), e);
    }
  }
}
