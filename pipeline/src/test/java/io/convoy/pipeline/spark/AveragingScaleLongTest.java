package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's cost of one averaging round as partitions and model size grow, for the tree and the
 * sharded reduce (docs/scaling.md): dense-heavy models (784 -> H -> 10) of 0.1 M to 25 M parameters,
 * two examples per partition, batch 2, averaging every batch, so a round is almost all broadcast and
 * reduce. Prints one table row per cell: seconds per round (mean of the measured rounds, the first
 * epoch being warm-up) and the bytes the driver receives per round (task result sizes of each job's
 * result stage). Cells whose shuffle would pass 2 GB per round are skipped (size x partitions x 8
 * bytes). That the two reduces give the same sums is {@link ShardedReduceTest}'s job, in the default
 * suite.
 *
 * <p>Run: {@code mvn -B -ntp -pl pipeline -am verify -Plong -Dtest=AveragingScaleLongTest
 * -Dsurefire.failIfNoSpecifiedTests=false}. {@code -Dconvoy.scale.hidden=126,1258} and
 * {@code -Dconvoy.scale.partitions=2,8} measure a part of the table.
 */
@Tag("long")
class AveragingScaleLongTest {
  @TempDir
  static Path tmp;

  /** Hidden units giving about 0.1 M, 1 M, 5 M and 25 M parameters with 784 inputs and 10 classes. */
  static final int[] HIDDEN = ints("convoy.scale.hidden", new int[] {126, 1258, 6290, 31446});
  static final int[] PARTITIONS = ints("convoy.scale.partitions", new int[] {2, 8, 32, 128});
  static final long MAX_SHUFFLE = 2L << 30;
  static final int EPOCHS = 4;

  private static int[] ints(String property, int[] dflt) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Arrays.stream(v.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(property + " must be a comma-separated list of integers, got '" + v + "'", e);
    }
  }

  /** Result-stage bytes of the averaging rounds of epochs >= 1 (job descriptions name them). */
  static final class DriverBytes extends SparkListener {
    final Map<Integer, Integer> lastStageOfJob = new ConcurrentHashMap<>();
    final Map<Integer, Long> stageResultBytes = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart job) {
      String d = job.properties() == null ? null : job.properties().getProperty("spark.job.description");
      if (d == null || !d.contains("averaging round") || d.startsWith("convoy: epoch 0 ")) {
        return;
      }
      int last = -1;
      for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(job.stageIds())) {
        last = Math.max(last, (Integer) id);
      }
      lastStageOfJob.put(job.jobId(), last);
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted s) {
      stageResultBytes.put(s.stageInfo().stageId(), s.stageInfo().taskMetrics().resultSize());
    }

    List<Long> perJob() {
      List<Long> out = new ArrayList<>();
      lastStageOfJob.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> out.add(stageResultBytes.getOrDefault(e.getValue(), 0L)));
      return out;
    }
  }

  record Cell(String reduce, int partitions, int params, double secondsPerRound, double driverBytesPerRound) {
  }

  static Cell measure(SparkSession spark, String reduce, int hidden, int parts, String[] data) throws Exception {
    spark.sparkContext().setLocalProperty(SparkTrainer.REDUCE_KEY, reduce);
    DriverBytes bytes = new DriverBytes();
    spark.sparkContext().addSparkListener(bytes);
    try {
      SparkTrainer trainer = new SparkTrainer(spark);
      ModelSpec spec = ShardedReduceTest.dense(hidden);
      // full batch: every replica makes exactly one step per epoch, so an epoch is one round
      TrainOptions t = TrainOptions.of(EPOCHS, 2, OptimizerSpec.sgd(0.01f), 7L).withMode(GradientDescent.FULL_BATCH);
      SparkTrainOptions o = SparkTrainOptions.of(t, Strategy.PARAMETER_AVERAGING).withPartitions(parts)
          .withAveragingPeriod(1).withNormalization(new Normalization(new float[] {0.286f}, new float[] {0.353f}));
      List<EpochMetrics> epochs = new ArrayList<>();
      TrainResult r = trainer.train(spec, o, new IdxSource(data[0], data[1], 10), null, null, new TrainingListener() {
        @Override
        public void onEpoch(EpochMetrics m) {
          epochs.add(m);
        }
      });
      assertEquals(spec.paramCount(), r.params().length);
      double secs = 0;
      for (int e = 1; e < epochs.size(); e++) {
        secs += epochs.get(e).computeSeconds() + epochs.get(e).communicationSeconds();
      }
      int rounds = epochs.size() - 1;   // one round per epoch: one batch per replica
      spark.sparkContext().listenerBus().waitUntilEmpty();
      List<Long> jobs = bytes.perJob();
      assertEquals(rounds, jobs.size(), "averaging rounds seen by the listener");
      long sum = 0;
      for (long b : jobs) {
        sum += b;
      }
      return new Cell(reduce, parts, spec.paramCount(), secs / rounds, (double) sum / Math.max(1, jobs.size()));
    } finally {
      spark.sparkContext().removeSparkListener(bytes);
      spark.sparkContext().setLocalProperty(SparkTrainer.REDUCE_KEY, null);
    }
  }

  @Test
  void driverCostPerRoundAgainstPartitionsAndModelSize() throws Exception {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-scale-long-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.maxResultSize", "0")
        .getOrCreate();
    List<Cell> cells = new ArrayList<>();
    try {
      System.out.println("| reduce | partitions | parameters | s/round | MB at driver/round |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (int hidden : HIDDEN) {
        for (int parts : PARTITIONS) {
          if ((long) ShardedReduceTest.dense(hidden).paramCount() * parts * 8 > MAX_SHUFFLE) {
            continue;
          }
          String[] data = SparkTestData.write(tmp, "train", "scale" + parts, 0, 2 * parts, -1, 0);
          for (String reduce : List.of("tree", "sharded")) {
            Cell c = measure(spark, reduce, hidden, parts, data);
            cells.add(c);
            System.out.println(String.format(Locale.ROOT, "| %s | %d | %.2f M | %.3f | %.1f |", c.reduce(),
                c.partitions(), c.params() / 1e6, c.secondsPerRound(), c.driverBytesPerRound() / 1e6));
          }
        }
      }
    } finally {
      spark.stop();
    }
    assertFalse(cells.isEmpty(), "no cell fits under " + MAX_SHUFFLE + " shuffle bytes");
    for (int i = 0; i + 1 < cells.size(); i += 2) {
      Cell tree = cells.get(i);
      Cell sharded = cells.get(i + 1);
      // docs/scaling.md: the sharded driver receives one copy of the doubles (8 S bytes), the tree's
      // driver one per partial sum (2 or more)
      assertTrue(sharded.driverBytesPerRound() >= 8.0 * sharded.params(), sharded + ": less than one copy");
      assertTrue(sharded.driverBytesPerRound() < tree.driverBytesPerRound(), sharded + " against " + tree);
    }
  }
}
