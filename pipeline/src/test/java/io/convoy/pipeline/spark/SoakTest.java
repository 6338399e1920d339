package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many epochs of the Spark trainer on a small subset (local[2], parameter averaging every 2 batches,
 * validation every epoch, a checkpoint every epoch): after each epoch, the used heap after a full GC,
 * the bytes held by the JVM's Arrow root allocator, the open file descriptors and the live threads
 * must not grow. The last epochs are compared with the first ones after warm-up (epochs 2-4), within a
 * tolerance, so noise passes and a leak of a buffer, a file or a thread per epoch or round fails.
 */
class SoakTest {
  @TempDir
  Path tmp;

  /** One epoch's gauges. */
  record Gauges(int epoch, long heap, long arrow, long fds, int threads, double seconds) {
  }

  static long openFiles() {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list /proc/self/fd: " + e, e);
    }
  }

  static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {   // a few rounds: soft references and finalizable objects settle
      System.gc();
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }

  List<Gauges> soak(int epochs, int images) throws IOException {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-soak")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    List<Gauges> g = new ArrayList<>();
    try {
      String[] train = SparkTestData.write(tmp, "train", "soak-train", 0, images, -1, 0);
      String[] val = SparkTestData.write(tmp, "t10k", "soak-val", 0, 200, -1, 0);
      TrainOptions t = TrainOptions.of(epochs, 64, OptimizerSpec.adam(1e-3f), 3L);
      SparkTrainOptions o = SparkTrainOptions.of(t, Strategy.PARAMETER_AVERAGING).withPartitions(2)
          .withAveragingPeriod(2).withCheckpoints(tmp.resolve("ckpt").toUri().toString(), false);
      long[] t0 = {System.nanoTime()};
      TrainResult r = new SparkTrainer(spark).train(ModelSpec.referenceCnn(), o, new IdxSource(train[0], train[1], 10),
          new IdxSource(val[0], val[1], 10), null, new TrainingListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
              double secs = (System.nanoTime() - t0[0]) / 1e9;
              g.add(new Gauges(m.epoch(), usedHeapAfterGc(), SparkData.arrowAllocatedBytes(), openFiles(),
                  ManagementFactory.getThreadMXBean().getThreadCount(), secs));
              t0[0] = System.nanoTime();
            }
          });
      assertEquals(epochs, r.history().size());
      assertTrue(r.history().get(epochs - 1).valAccuracy() > 0.5, "the model learns: " + r.history().get(epochs - 1));
    } finally {
      spark.stop();
    }
    System.out.println("| epoch | used heap after GC (MB) | Arrow allocated (bytes) | open fds | threads | s |");
    System.out.println("|---:|---:|---:|---:|---:|---:|");
    for (Gauges x : g) {
      System.out.println(String.format(Locale.ROOT, "| %d | %.1f | %d | %d | %d | %.2f |", x.epoch(), x.heap() / 1e6,
          x.arrow(), x.fds(), x.threads(), x.seconds()));
    }
    return g;
  }

  /** The last {@code k} epochs against epochs 2-4 (after warm-up: caches, JIT, Spark's own pools). */
  static void assertFlat(List<Gauges> g, int k) {
    List<Gauges> early = g.subList(1, 4);
    List<Gauges> late = g.subList(g.size() - k, g.size());
    long heapEarly = early.stream().mapToLong(Gauges::heap).max().orElseThrow();
    long heapLate = late.stream().mapToLong(Gauges::heap).min().orElseThrow();
    // 24 MB: a leak of one 1.7 MB parameter copy per round (4 rounds an epoch) shows within 4 epochs
    assertTrue(heapLate <= heapEarly + (24L << 20), String.format(Locale.ROOT,
        "used heap grows: at most %.1f MB in epochs 1-3, at least %.1f MB in the last %d epochs", heapEarly / 1e6,
        heapLate / 1e6, k));
    for (Gauges x : g) {
      assertEquals(0, x.arrow(), "Arrow bytes held after epoch " + x.epoch() + " (every task closes its allocator)");
    }
    long fdEarly = early.stream().mapToLong(Gauges::fds).max().orElseThrow();
    long fdLate = late.stream().mapToLong(Gauges::fds).min().orElseThrow();
    assertTrue(fdLate <= fdEarly + 4, "open files grow: " + fdEarly + " in epochs 1-3, " + fdLate + " at the end");
    int thEarly = early.stream().mapToInt(Gauges::threads).max().orElseThrow();
    int thLate = late.stream().mapToInt(Gauges::threads).min().orElseThrow();
    assertTrue(thLate <= thEarly + 4, "threads grow: " + thEarly + " in epochs 1-3, " + thLate + " at the end");
  }

  @Test
  void tenEpochsHoldHeapArrowMemoryFilesAndThreadsFlat() throws IOException {
    assertFlat(soak(10, 1000), 3);
  }

  @Test
  @Tag("long")
  void fortyEpochsHoldHeapArrowMemoryFilesAndThreadsFlat() throws IOException {
    assertFlat(soak(40, 1000), 5);
  }
}
