package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Early stopping when the best validation epoch is neither the first nor the last. The run overfits
 * by construction: a quarter of the training images carry a wrong label ({@code (label + 1) % 10}),
 * and the validation set is exactly those images with their true labels. While the model learns
 * what the other three quarters teach, it predicts the true labels of the mislabelled images too;
 * once it memorises the wrong labels, their validation accuracy falls.
 */
class EarlyStoppingTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static String[] train;
  static String[] val;
  static final int RECORDS = 200;

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("convoy-early-stopping-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    ImageSet clean = SparkTrainerTest.read(SparkTestData.write(tmp, "train", "clean", 0, RECORDS, -1, 0));
    int[] wrong = new int[RECORDS / 4];
    int[] labels = clean.labels().clone();
    for (int i = 0; i < wrong.length; i++) {
      wrong[i] = 4 * i + 3;
      labels[wrong[i]] = (labels[wrong[i]] + 1) % 10;
    }
    train = writeIdx(tmp, "noisy", clean, labels);
    ImageSet v = clean.select(wrong);
    val = writeIdx(tmp, "mislabelled-true", v, v.labels());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** {@code set}'s images with {@code labels} as uncompressed IDX files; returns their file URIs. */
  static String[] writeIdx(Path dir, String name, ImageSet set, int[] labels) throws IOException {
    Path im = dir.resolve(name + "-images.idx");
    Path lb = dir.resolve(name + "-labels.idx");
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(im.toFile()))) {
      out.writeInt(0x00000803);
      out.writeInt(set.size());
      out.writeInt(set.shape().h());
      out.writeInt(set.shape().w());
      out.write(set.pixels());
    }
    try (DataOutputStream out = new DataOutputStream(new FileOutputStream(lb.toFile()))) {
      out.writeInt(0x00000801);
      out.writeInt(labels.length);
      for (int l : labels) {
        out.writeByte(l);
      }
    }
    return new String[] {im.toUri().toString(), lb.toUri().toString()};
  }

  @Test
  void keepsTheBestEpochWhenItIsNeitherTheFirstNorTheLast() {
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainOptions o = TrainOptions.of(40, 20, OptimizerSpec.adam(2e-3f), 4L).withEarlyStopping(40, 0f);
    String dir = tmp.resolve("ckpt").toUri().toString();
    SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(1)
        .withCheckpoints(dir, false);
    List<EpochMetrics> epochs = new ArrayList<>();
    TrainResult r = new SparkTrainer(spark).train(spec, so, new IdxSource(train[0], train[1], 10),
        new IdxSource(val[0], val[1], 10), null, epochs::add);
    for (EpochMetrics m : epochs) {
      System.out.printf(Locale.ROOT, "epoch %d: train loss %.4f, train acc %.3f, val acc %.3f%n", m.epoch(), m.loss(),
          m.trainAccuracy(), m.valAccuracy());
    }
    // the best epoch as the trainer defines it (lowest validation error, the earliest of equals), from the
    // reported metrics
    int expected = 0;
    for (EpochMetrics m : epochs) {
      if (1 - m.valAccuracy() < 1 - epochs.get(expected).valAccuracy()) {
        expected = m.epoch();
      }
    }
    int last = epochs.size() - 1;
    System.out.println("best epoch " + expected + " of 0.." + last + ", val acc " + epochs.get(expected).valAccuracy()
        + ", last " + epochs.get(last).valAccuracy());
    assertEquals(40, epochs.size(), "patience 40 never stops a 40-epoch run");
    assertTrue(expected > 0 && expected < last - 5, "validation accuracy peaks in the middle: best epoch " + expected);
    assertTrue(epochs.get(last).valAccuracy() < epochs.get(expected).valAccuracy() - 0.05,
        "and falls afterwards by more than 5 points");
    assertEquals(expected, r.bestEpoch());

    // the result is that epoch's model: its checkpoint and best.model, not the first's nor the last's
    Configuration conf = new Configuration();
    Checkpoint atBest = ModelFile.readCheckpoint(new org.apache.hadoop.fs.Path(dir,
        String.format(Locale.ROOT, "epoch-%04d.ckpt", expected + 1)), conf);
    Checkpoint atLast = ModelFile.readCheckpoint(new org.apache.hadoop.fs.Path(dir,
        String.format(Locale.ROOT, "epoch-%04d.ckpt", last + 1)), conf);
    Checkpoint atFirst = ModelFile.readCheckpoint(new org.apache.hadoop.fs.Path(dir, "epoch-0001.ckpt"), conf);
    assertArrayEquals(atBest.model().params(), r.params(), 0f);
    assertArrayEquals(atBest.model().buffers(), r.buffers(), 0f);
    SavedModel best = ModelFile.readModel(new org.apache.hadoop.fs.Path(dir, SparkTrainer.BEST), conf);
    assertArrayEquals(r.params(), best.params(), 0f);
    assertTrue(!java.util.Arrays.equals(r.params(), atLast.model().params()), "the last epoch's model is not kept");
    assertTrue(!java.util.Arrays.equals(r.params(), atFirst.model().params()), "nor the first epoch's");
  }
}
