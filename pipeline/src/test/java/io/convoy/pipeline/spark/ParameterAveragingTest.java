package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ActivationKind;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.BatchNormSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.MaxPool2dSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.Optimizer;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.LocalReplica;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parameter averaging on two partitions against an average computed without Spark: each replica is
 * a {@link LocalReplica} (the single-process trainer's building block) trained on exactly the
 * examples its partition holds, in the order and with the seeds the trainer documents, and this test
 * averages the replicas itself.
 *
 * <p>What the reference takes from the trainer's documented behaviour, not from its code: records go
 * to partitions by {@link Chunks#assignPartitions} with the run's seed ({@link DataSource}), a
 * partition holds its records in ascending record number, replica {@code p} shuffles and seeds
 * dropout with {@link Replicas#partitionSeed}, trains the full batch size on its own shard, and an
 * averaging round covers the same batch indices of every replica's epoch order.
 *
 * <p>Tolerance: none. Both sides run the same float arithmetic in the same order (the replicas' steps
 * are {@code LocalReplica}'s {@code ChunkedGradient} and {@code Optimizer}; the average of two
 * replicas is {@code (float) ((double) a + (double) b) / 2)}, and a sum of two doubles does not
 * depend on the order Spark merges them in), so every float must be bit-identical.
 */
class ParameterAveragingTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static String[] data;
  static ImageSet all;

  /** 251 records: partitions of 126 and 125, so 6 and 5 batches of 25 (the last of partition 0 holds 1). */
  static final int RECORDS = 251;
  static final int PARTS = 2;
  static final int BATCH = 25;
  /** Rounds of 3 batches: round 0 trains batches 0-2 of both, round 1 batches 3-5 of one and 3-4 of the other. */
  static final int PERIOD = 3;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("convoy-averaging-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    data = SparkTestData.write(tmp, "train", "avg", 0, RECORDS, -1, 0);
    all = SparkTrainerTest.read(data);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** A small conv net with batch norm, so that the averaged buffers (running statistics) are checked too. */
  static ModelSpec spec() {
    return new ModelSpec(new TensorShape(1, 28, 28), List.of(
        Conv2dSpec.of("conv1", 4, 3, 1, 1),
        BatchNormSpec.of("bn1"),
        ActivationSpec.of("relu1", ActivationKind.RELU),
        MaxPool2dSpec.of("pool1", 2),
        new FlattenSpec("flatten"),
        new DenseSpec("fc", 10, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  static TrainOptions options() {
    return TrainOptions.of(1, BATCH, OptimizerSpec.adam(2e-3f), 23L);
  }

  /** What the reference computed: the averaged vectors and the epoch's sums. */
  record Averaged(float[] params, float[] buffers, float[] optState, int optStep, double lossSum, long correct,
      long count, boolean replicasDiffered) {
  }

  /**
   * One epoch of {@code parts} replicas averaged every {@code period} batches, each replica a
   * {@link LocalReplica} with a fresh {@link Optimizer} per round, loaded with the averaged state and
   * step when {@code withState}, else left at zero state and step 0.
   */
  static Averaged byHand(ModelSpec spec, TrainOptions t, int parts, int period, boolean withState, ImageSet set,
      Normalization norm) {
    int[] partOf = Chunks.assignPartitions(set.size(), parts, t.seed());
    ImageSet[] shard = new ImageSet[parts];
    for (int p = 0; p < parts; p++) {
      final int q = p;
      int[] mine = java.util.stream.IntStream.range(0, set.size()).filter(i -> partOf[i] == q).toArray();
      shard[p] = set.select(mine);   // ascending record numbers, as a partition holds them
    }
    Network probe = new Network(spec, 1);
    int n = probe.numParams();
    float[] params = new float[n];
    float[] buffers = new float[probe.numBuffers()];
    probe.initParams(params, buffers, t.init(), t.seed());
    float[] state = new float[t.optimizer().slots() * n];
    int optStep = 0;
    long globalStep = 0;
    double lossSum = 0;
    long correct = 0;
    long count = 0;
    boolean differed = false;
    int epoch = 0;
    Batcher[] batcher = new Batcher[parts];
    int maxBatches = 0;
    for (int p = 0; p < parts; p++) {
      int b = t.mode().stepBatch(t.batchSize(), shard[p].size());
      batcher[p] = new Batcher(shard[p].size(), b, Replicas.partitionSeed(t.seed(), p), true);
      maxBatches = Math.max(maxBatches, batcher[p].numBatches());
    }
    int per = period == 0 ? maxBatches : period;
    for (int first = 0; first < maxBatches; first += per) {
      double[] sumP = new double[n];
      double[] sumB = new double[buffers.length];
      double[] sumS = new double[state.length];
      float[] firstReplica = null;
      int maxSteps = 0;
      double roundLoss = 0;
      for (int p = 0; p < parts; p++) {
        Batcher bt = batcher[p];
        int nb = bt.numBatches();
        LocalReplica replica = new LocalReplica(spec, Math.min(bt.batchSize(), LocalTrainer.DEFAULT_WORKSPACE_BATCH),
            norm, null, Replicas.partitionSeed(t.seed(), p));
        Optimizer opt = new Optimizer(t.optimizer(), n);
        if (withState) {
          opt.setState(state);
          opt.setStep(optStep);
        }
        float[] mp = params.clone();
        float[] mb = buffers.clone();
        int last = Math.min(nb, first + per);
        if (first < last) {
          int from = bt.batchStart(first);
          int to = bt.batchStart(last - 1) + bt.batchLength(last - 1);
          LocalReplica.Progress pr = replica.train(mp, mb, opt, t.schedule(), shard[p], bt.order(epoch), from,
              to - from, bt.batchSize(), epoch, first, nb, globalStep, null);
          maxSteps = Math.max(maxSteps, pr.steps());
          roundLoss += pr.lossSum();
          correct += pr.correct();
          count += pr.examples();
        }
        add(sumP, mp);
        add(sumB, mb);
        add(sumS, opt.state());
        if (firstReplica == null) {
          firstReplica = mp;
        } else {
          differed |= !Arrays.equals(firstReplica, mp);
        }
      }
      params = mean(sumP, parts);
      buffers = mean(sumB, parts);
      if (withState) {
        state = mean(sumS, parts);
      }
      optStep += maxSteps;
      globalStep += maxSteps;
      lossSum += roundLoss;
    }
    return new Averaged(params, buffers, state, optStep, lossSum, correct, count, differed);
  }

  private static void add(double[] sum, float[] v) {
    for (int i = 0; i < v.length; i++) {
      sum[i] += v[i];
    }
  }

  private static float[] mean(double[] sum, int parts) {
    float[] m = new float[sum.length];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) (sum[i] / parts);
    }
    return m;
  }

  static TrainResult spark(boolean withState, List<EpochMetrics> epochs) {
    SparkTrainOptions o = new SparkTrainOptions(options(), Strategy.PARAMETER_AVERAGING, PERIOD, withState, PARTS,
        null, false, null, null);
    return new SparkTrainer(spark).train(spec(), o, new IdxSource(data[0], data[1], 10), null, null, epochs::add);
  }

  static void assertSameAsByHand(Averaged want, TrainResult got, EpochMetrics m, String what) {
    assertArrayEquals(want.params(), got.params(), what + ": parameters");
    assertArrayEquals(want.buffers(), got.buffers(), what + ": buffers (batch-norm running statistics)");
    assertArrayEquals(want.optState(), got.optimizerState(), what + ": optimizer state");
    assertEquals(want.optStep(), got.optimizerStep(), what + ": optimizer step");
    assertEquals(RECORDS, want.count(), what + ": examples the replicas trained on");
    assertEquals(want.lossSum() / want.count(), m.loss(), what + ": epoch loss");
    assertEquals((double) want.correct() / want.count(), m.trainAccuracy(), what + ": training accuracy");
  }

  /** The layout the tests rely on: 126 + 125 examples, 6 + 5 batches, so 2 rounds of at most 3 steps. */
  static void assertLayout() {
    int[] partOf = Chunks.assignPartitions(RECORDS, PARTS, options().seed());
    assertEquals(126, Arrays.stream(partOf).filter(p -> p == 0).count());
    assertEquals(125, Arrays.stream(partOf).filter(p -> p == 1).count());
    assertEquals(6, new Batcher(126, BATCH, 0L, false).numBatches());
    assertEquals(5, new Batcher(125, BATCH, 0L, false).numBatches());
  }

  /**
   * With the optimizer state averaged: Adam's moments are the mean of the replicas', and every round
   * continues Adam's step count from the previous rounds' longest replica (3, then 6).
   */
  @Test
  void averagedParametersAndOptimizerStateMatchReplicasAveragedByHand() {
    assertLayout();
    Normalization norm = Normalization.compute(all);
    Averaged want = byHand(spec(), options(), PARTS, PERIOD, true, all, norm);
    assertTrue(want.replicasDiffered(), "the two replicas trained to different parameters");
    List<EpochMetrics> epochs = new ArrayList<>();
    TrainResult got = spark(true, epochs);
    assertSameAsByHand(want, got, epochs.get(0), "average-optimizer-state = true");
    assertEquals(6, got.optimizerStep());
    float maxState = 0f;
    for (float v : got.optimizerState()) {
      maxState = Math.max(maxState, Math.abs(v));
    }
    assertTrue(maxState > 0f, "the averaged Adam state is not zero");
  }

  /**
   * Without it: every round starts each replica's optimizer afresh (zero moments, step 0, so Adam's bias
   * correction starts over), nothing is averaged into the driver's state, which stays zero, while the
   * step count still adds up the rounds' steps.
   */
  @Test
  void withoutOptimizerStateEveryRoundStartsTheReplicasOptimizersAfresh() {
    assertLayout();
    Normalization norm = Normalization.compute(all);
    Averaged want = byHand(spec(), options(), PARTS, PERIOD, false, all, norm);
    List<EpochMetrics> epochs = new ArrayList<>();
    TrainResult got = spark(false, epochs);
    assertSameAsByHand(want, got, epochs.get(0), "average-optimizer-state = false");
    assertArrayEquals(new float[2 * got.params().length], got.optimizerState(), "the driver's Adam state");
    assertEquals(6, got.optimizerStep());
    Averaged withState = byHand(spec(), options(), PARTS, PERIOD, true, all, norm);
    assertFalse(Arrays.equals(withState.params(), got.params()), "the setting changes the second round");
  }
}
