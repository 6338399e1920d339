package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.kernels.VectorOps;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose loss blows up (SGD with a learning rate of 1e5) on local[2]: it stops with a message
 * naming the epoch and step, no checkpoint with NaN or infinity is ever written, and restart mode
 * goes back to the last good checkpoint with a lower rate and finishes.
 */
class DivergenceTest {
  private static final float ABSURD = 1e5f;
  private static final float SANE = 0.05f;

  @TempDir
  static Path tmp;
  static SparkSession spark;
  static IdxSource train;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("convoy-divergence-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    String[] small = SparkTestData.write(tmp, "train", "small", 0, 600, -1, 0);
    train = new IdxSource(small[0], small[1]);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static SparkTrainOptions options(Strategy strategy, int epochs, float lr, String ckpt, boolean resume) {
    TrainOptions o = TrainOptions.of(epochs, 32, OptimizerSpec.sgd(lr), 11L);
    return SparkTrainOptions.of(o, strategy).withPartitions(2).withCheckpoints(ckpt, resume);
  }

  /** One good epoch at a sane rate into a fresh checkpoint folder; returns the folder. */
  private static String goodFirstEpoch(String name) {
    String dir = tmp.resolve(name).toUri().toString();
    new SparkTrainer(spark).train(ModelSpec.kerasCourse(), options(Strategy.PARAMETER_AVERAGING, 1, SANE, dir, false),
        train, null, null, null);
    return dir;
  }

  /** The checkpoint files of {@code dir} by name; each must read back (checksum) with finite contents. */
  private static List<String> finiteCheckpoints(String dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(java.net.URI.create(dir)))) {
      for (Path f : files.sorted().toList()) {
        String n = f.getFileName().toString();
        if (n.startsWith(".")) {
          continue;   // Hadoop's .crc side files
        }
        names.add(n);
        Checkpoint c = ModelFile.readCheckpoint(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration());
        float[] p = c.model().params();
        assertTrue(VectorOps.allFinite(p, 0, p.length), n + " holds non-finite parameters");
        float[] s = c.optimizerState();
        assertTrue(VectorOps.allFinite(s, 0, s.length), n + " holds a non-finite optimizer state");
      }
    }
    return names;
  }

  @Test
  void averagingStopsNamingEpochAndStepAndKeepsTheLastGoodCheckpoint() throws Exception {
    String dir = goodFirstEpoch("stop-averaging");
    SparkTrainer trainer = new SparkTrainer(spark);   // default: stop
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.train(ModelSpec.kerasCourse(),
        options(Strategy.PARAMETER_AVERAGING, 3, ABSURD, dir, true), train, null, null, null));
    String msg = e.getMessage();
    System.out.println("parameter averaging, learning rate 1e5: " + msg);
    assertTrue(msg.startsWith("training diverged: "), msg);
    assertTrue(msg.contains("at epoch 1, "), "the second epoch (index 1) diverged: " + msg);
    assertTrue(msg.contains("batch "), msg);
    assertTrue(msg.contains("train.on-divergence = stop"), msg);
    assertTrue(msg.contains("epoch-0001.ckpt is intact"), msg);
    assertEquals(List.of("epoch-0001.ckpt"), finiteCheckpoints(dir));
  }

  @Test
  void syncSgdStopsNamingEpochAndStep() {
    SparkTrainer trainer = new SparkTrainer(spark);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.train(ModelSpec.kerasCourse(),
        options(Strategy.SYNC_SGD, 2, ABSURD, null, false), train, null, null, null));
    String msg = e.getMessage();
    System.out.println("sync SGD, learning rate 1e5: " + msg);
    assertTrue(msg.matches("training diverged: .* at epoch 0, batch \\d+.*"), msg);
  }

  @Test
  void theDriverCatchesNonFiniteAveragedParametersBeforeAnyLossDoes() {
    // one step at the largest float rate overflows the parameters while that step's loss was still
    // finite; averaging after every batch puts the infinities on the driver before a task sees a bad loss
    SparkTrainer trainer = new SparkTrainer(spark);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.train(ModelSpec.kerasCourse(),
        options(Strategy.PARAMETER_AVERAGING, 1, Float.MAX_VALUE, null, false).withAveragingPeriod(1), train, null, null,
        null));
    System.out.println("parameter averaging, learning rate 3.4e38: " + e.getMessage());
    assertTrue(e.getMessage().startsWith("training diverged: non-finite parameters at epoch 0, averaging round 1/"),
        e.getMessage());
    assertTrue(e.getMessage().contains("(batches 0..0)"), e.getMessage());
  }

  @Test
  void restartGoesBackToTheLastGoodCheckpointWithALowerRateAndFinishes() throws Exception {
    String dir = goodFirstEpoch("restart");
    // 1e5 diverges, 1e5 * 1e-3 = 100 diverges too, 100 * 1e-3 = 0.1 trains
    SparkTrainer trainer = new SparkTrainer(spark).onDivergence(2, 1e-3f);
    List<EpochMetrics> epochs = new ArrayList<>();
    TrainResult r = trainer.train(ModelSpec.kerasCourse(), options(Strategy.PARAMETER_AVERAGING, 3, ABSURD, dir, true),
        train, null, null, epochs::add);
    float lowered = ABSURD * 1e-3f * 1e-3f;
    System.out.printf("restart mode: %d epochs after the restarts, final rate %g, loss %.4f%n", epochs.size(),
        r.last().learningRate(), r.last().loss());
    assertTrue(VectorOps.allFinite(r.params(), 0, r.params().length), "final parameters are not finite");
    assertEquals(3, r.history().size(), "epochs 1 (from the checkpoint), 2 and 3");
    assertEquals(lowered, r.last().learningRate(), 1e-6 * lowered);
    assertEquals(2, epochs.size(), "epochs 2 and 3 reported after the restarts: " + epochs);
    assertEquals(List.of("epoch-0001.ckpt", "epoch-0002.ckpt", "epoch-0003.ckpt"), finiteCheckpoints(dir));

    // one restart is not enough (100 still diverges): the run stops and says so
    String dir2 = goodFirstEpoch("restart-exhausted");
    SparkTrainer once = new SparkTrainer(spark).onDivergence(1, 1e-3f);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> once.train(ModelSpec.kerasCourse(),
        options(Strategy.PARAMETER_AVERAGING, 3, ABSURD, dir2, true), train, null, null, null));
    System.out.println("restart mode, 1 restart: " + e.getMessage());
    assertTrue(e.getMessage().contains("stopped after 1 restart(s), the last with learning rate 100"), e.getMessage());
    assertEquals(List.of("epoch-0001.ckpt"), finiteCheckpoints(dir2));
  }

  @Test
  void badRestartSettingsAreRefused() {
    SparkTrainer t = new SparkTrainer(spark);
    assertEquals("train.divergence-lr-factor must be in (0, 1), got 1.5",
        assertThrows(IllegalArgumentException.class, () -> t.onDivergence(1, 1.5f)).getMessage());
    assertEquals("train.divergence-max-restarts must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> t.onDivergence(-1, 0.1f)).getMessage());
  }
}
