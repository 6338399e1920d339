package io.convoy.pipeline.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.spark.IdxSource;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.SparkTrainer;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live progress of a parameter-averaging round on a real local[2] Spark session whose executor
 * heartbeats every second: the listener must hear of batches while the round's tasks still run.
 */
class LiveProgressTest {
  private static final String DATA = "/usr/share/datasets/fashion-mnist/";

  @TempDir
  static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("convoy-live-progress-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.heartbeatInterval", "1s")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** One onBatch call as the listener saw it. */
  record Call(int epoch, int batch, int batches, double loss, boolean fromTrainerThread) {
  }

  @Test
  void averagingRoundReportsBatchesWhileItRuns() throws IOException {
    int n = 3000;
    int batch = 16;
    String[] files = cut(tmp, n);
    TrainOptions t = TrainOptions.of(1, batch, OptimizerSpec.adam(1e-3f), 7L);
    SparkTrainOptions o = SparkTrainOptions.of(t, Strategy.PARAMETER_AVERAGING).withPartitions(2);   // period 0
    Thread trainerThread = Thread.currentThread();
    List<Call> calls = new ArrayList<>();
    List<EpochMetrics> epochs = new ArrayList<>();
    TrainingListener recorder = new TrainingListener() {
      @Override
      public void onEpoch(EpochMetrics m) {
        epochs.add(m);
      }

      @Override
      public void onBatch(int epoch, int b, int batches, double loss) {
        synchronized (calls) {
          calls.add(new Call(epoch, b, batches, loss, Thread.currentThread() == trainerThread));
        }
      }
    };
    long t0 = System.nanoTime();
    TrainResult r = new SparkTrainer(spark).train(ModelSpec.referenceCnn(), o, new IdxSource(files[0], files[1]),
        null, null, recorder);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("live progress: %.1f s, calls %s%n", seconds, calls);

    // 1500 examples per replica, batch 16: 94 batches per replica in the single round of the epoch
    int perReplica = (n / 2 + batch - 1) / batch;
    assertEquals(1, epochs.size());
    assertTrue(calls.size() >= 3, "expected live calls before the round's end, got " + calls);
    Call last = calls.get(calls.size() - 1);
    assertEquals(new Call(0, perReplica - 1, perReplica, last.loss(), true), last, "the trainer closes the round");
    List<Call> live = calls.subList(0, calls.size() - 1);
    int prev = -1;
    for (Call c : live) {
      assertTrue(!c.fromTrainerThread(), "live calls come from Spark's listener bus: " + c);
      assertEquals(0, c.epoch());
      assertEquals(perReplica, c.batches());
      assertTrue(c.batch() + 1 > 0 && c.batch() + 1 < perReplica, "strictly inside the round: " + c);
      assertTrue(c.batch() > prev, "batch counts must increase: " + live);
      assertTrue(Double.isFinite(c.loss()) && c.loss() > 0 && c.loss() < 100, "loss " + c);
      prev = c.batch();
    }
    // weighting each call's loss by the batches it advances gives about the epoch's mean loss
    double weighted = 0;
    int done = 0;
    for (Call c : calls) {
      weighted += c.loss() * (c.batch() + 1 - done);
      done = c.batch() + 1;
    }
    weighted /= done;
    double epochLoss = r.history().get(0).loss();
    System.out.printf("weighted live loss %.4f, epoch loss %.4f%n", weighted, epochLoss);
    assertEquals(epochLoss, weighted, 0.05 * epochLoss);
  }

  /** The first {@code count} Fashion-MNIST training records as uncompressed IDX files; returns their URIs. */
  static String[] cut(Path dir, int count) throws IOException {
    Path im = dir.resolve("live-images.idx");
    Path lb = dir.resolve("live-labels.idx");
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(
            new FileInputStream(DATA + "train-images-idx3-ubyte.gz"), 1 << 16));
        DataOutputStream out = new DataOutputStream(new FileOutputStream(im.toFile()))) {
      in.readInt();
      in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      out.writeInt(0x00000803);
      out.writeInt(count);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(in.readNBytes(count * rows * cols));
    }
    try (DataInputStream in = new DataInputStream(new GZIPInputStream(
            new FileInputStream(DATA + "train-labels-idx1-ubyte.gz"), 1 << 16));
        DataOutputStream out = new DataOutputStream(new FileOutputStream(lb.toFile()))) {
      in.readInt();
      in.readInt();
      out.writeInt(0x00000801);
      out.writeInt(count);
      out.write(in.readNBytes(count));
    }
    return new String[] {im.toUri().toString(), lb.toUri().toString()};
  }
}
