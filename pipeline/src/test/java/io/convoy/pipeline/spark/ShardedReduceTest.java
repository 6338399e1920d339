package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sharded reduce of an averaging round (docs/scaling.md) sums what the tree reduce sums, and
 * {@code spark.convoy.averaging.reduce} picks the one it names: {@code auto}, the default, the tree
 * below {@link SparkTrainer#SHARDED_FROM} partitions and the sharded reduce from there on. Which
 * reduce ran is read from the Spark operation scopes of the averaging rounds' RDDs
 * ({@code treeAggregate} or {@code reduceByKey}, the names Spark's UI shows in its DAG).
 */
class ShardedReduceTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static final Scopes SCOPES = new Scopes();
  /** Given, so that a run makes no statistics pass. */
  static final Normalization NORM = new Normalization(new float[] {0.286f}, new float[] {0.353f});

  /** Operation scopes of the RDDs of every averaging-round job since the last {@link #take()}. */
  static final class Scopes extends SparkListener {
    final Set<String> seen = ConcurrentHashMap.newKeySet();

    @Override
    public void onJobStart(SparkListenerJobStart job) {
      String d = job.properties() == null ? null : job.properties().getProperty("spark.job.description");
      if (d == null || !d.contains("averaging round")) {
        return;
      }
      for (StageInfo s : scala.jdk.javaapi.CollectionConverters.asJava(job.stageInfos())) {
        for (RDDInfo r : scala.jdk.javaapi.CollectionConverters.asJava(s.rddInfos())) {
          if (r.scope().isDefined()) {
            seen.add(r.scope().get().name());
          }
        }
      }
    }

    Set<String> take() {
      try {
        spark.sparkContext().listenerBus().waitUntilEmpty();
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("Spark's listener bus did not drain: " + e, e);
      }
      Set<String> out = new TreeSet<>(seen);
      seen.clear();
      return out;
    }
  }

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("convoy-sharded-reduce-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    spark.sparkContext().addSparkListener(SCOPES);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** A dense model 784 -> hidden -> 10 (Fashion-MNIST images). */
  static ModelSpec dense(int hidden) {
    List<LayerSpec> layers = List.of(new FlattenSpec("flatten"), new DenseSpec("fc1", hidden, true),
        new DenseSpec("fc2", 10, true));
    return new ModelSpec(new TensorShape(1, 28, 28), layers, LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  record Run(TrainResult result, Set<String> scopes) {
  }

  /**
   * One epoch of parameter averaging with Adam (state averaged) on {@code parts} partitions, with the
   * reduce set to {@code reduce} for this thread (null: unset, so the default {@code auto}).
   */
  static Run train(String reduce, int parts, String[] data, int hidden, int batch, int period) {
    spark.sparkContext().setLocalProperty(SparkTrainer.REDUCE_KEY, reduce);
    try {
      SCOPES.take();
      TrainOptions t = TrainOptions.of(1, batch, OptimizerSpec.adam(1e-3f), 5L);
      SparkTrainOptions o = SparkTrainOptions.of(t, Strategy.PARAMETER_AVERAGING).withPartitions(parts)
          .withAveragingPeriod(period).withNormalization(NORM);
      TrainResult r = new SparkTrainer(spark).train(dense(hidden), o, new IdxSource(data[0], data[1], 10), null, null,
          null);
      return new Run(r, SCOPES.take());
    } finally {
      spark.sparkContext().setLocalProperty(SparkTrainer.REDUCE_KEY, null);
    }
  }

  static void assertSameSums(Run tree, Run sharded, String what) {
    assertArrayEquals(tree.result().params(), sharded.result().params(), what + ": parameters");
    assertArrayEquals(tree.result().buffers(), sharded.result().buffers(), what + ": buffers");
    assertArrayEquals(tree.result().optimizerState(), sharded.result().optimizerState(), what + ": optimizer state");
    assertEquals(tree.result().optimizerStep(), sharded.result().optimizerStep(), what + ": optimizer step");
    assertEquals(tree.result().history().get(0).loss(), sharded.result().history().get(0).loss(), what + ": loss");
  }

  static void assertTree(Run r, String what) {
    assertTrue(r.scopes().contains("treeAggregate") && !r.scopes().contains("reduceByKey"),
        what + ": expected the tree reduce (treeAggregate), the rounds' scopes were " + r.scopes());
  }

  static void assertSharded(Run r, String what) {
    assertTrue(r.scopes().contains("reduceByKey") && !r.scopes().contains("treeAggregate"),
        what + ": expected the sharded reduce (reduceByKey), the rounds' scopes were " + r.scopes());
  }

  /**
   * 400 examples, batch 16, averaging every 3 batches: 2 rounds an epoch on 5 partitions (80 examples,
   * 5 batches each), 9 on one. dense(400) with Adam's two slots is about 0.95 M floats: 4 slices.
   */
  @Test
  void shardedReduceGivesTheTreeReduceParameters() throws Exception {
    String[] data = SparkTestData.write(tmp, "train", "equal", 0, 400, -1, 0);
    for (int parts : new int[] {1, 5}) {
      Run tree = train("tree", parts, data, 400, 16, 3);
      Run sharded = train("sharded", parts, data, 400, 16, 3);
      assertTree(tree, parts + " partitions, tree");
      assertSharded(sharded, parts + " partitions, sharded");
      assertSameSums(tree, sharded, parts + " partitions");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> train("fastest", 2, data, 400, 16, 3));
    assertTrue(e.getMessage().contains(SparkTrainer.REDUCE_KEY) && e.getMessage().contains("fastest"), e.getMessage());
  }

  /**
   * Under {@code auto} one partition short of {@link SparkTrainer#SHARDED_FROM} sums with the tree and
   * {@code SHARDED_FROM} partitions with the sharded reduce, which gives the tree's sums there too.
   * One or two examples per partition, batch 2: one round of one step per replica.
   */
  @Test
  void autoShardsFromThirtyTwoPartitions() throws Exception {
    assertEquals(32, SparkTrainer.SHARDED_FROM, "docs/scaling.md says 32");
    int from = SparkTrainer.SHARDED_FROM;
    String[] at = SparkTestData.write(tmp, "train", "at", 0, 2 * from, -1, 0);
    assertTree(train(null, from - 1, at, 16, 2, 0), (from - 1) + " partitions, auto");
    Run auto = train(null, from, at, 16, 2, 0);
    assertSharded(auto, from + " partitions, auto");
    Run tree = train("tree", from, at, 16, 2, 0);
    assertTree(tree, from + " partitions, tree");
    assertSameSums(tree, auto, from + " partitions");
  }
}
