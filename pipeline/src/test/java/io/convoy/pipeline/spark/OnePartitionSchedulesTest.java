package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link SparkTrainer}'s class comment claims for one partition under parameter averaging, for
 * every descent mode and every learning-rate schedule of {@code conf/reference.conf}
 * ({@code schedule.kind} step, exponential, cosine, and {@code warmup-epochs} before one): the run
 * is exactly {@link LocalTrainer}'s, float for float ({@link Arrays#equals(float[], float[])}).
 * 3 epochs, Adam: stochastic is 100 steps an epoch (100 examples), full batch one step over chunks
 * of 256 + 44 examples (300), mini-batch 4 batches of 64 and one of 44 (300).
 */
class OnePartitionSchedulesTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  /** 300 records for full and mini-batches, their first 100 for stochastic descent (a step per example). */
  static String[] data;
  static String[] data100;
  static ImageSet set;
  static ImageSet set100;
  static final int EPOCHS = 3;
  static final float BASE = 1e-3f;
  /** The constant-rate LocalTrainer run of each mode, to show that each schedule changes the result. */
  static final Map<GradientDescent, float[]> CONSTANT = new EnumMap<>(GradientDescent.class);

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("convoy-one-partition-schedules-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    data = SparkTestData.write(tmp, "train", "sched", 0, 300, -1, 0);
    set = SparkTrainerTest.read(data);
    data100 = SparkTestData.write(tmp, "train", "sched100", 0, 100, -1, 0);
    set100 = SparkTrainerTest.read(data100);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static Stream<Arguments> cases() {
    List<LrSchedule> schedules = List.of(
        new LrSchedule.StepDecay(1, 0.5f),
        new LrSchedule.Exponential(0.7f),
        new LrSchedule.Cosine(EPOCHS, 1e-5f),
        new LrSchedule.Warmup(1, new LrSchedule.Cosine(EPOCHS - 1, 0f)));
    List<Arguments> out = new ArrayList<>();
    for (GradientDescent mode : GradientDescent.values()) {
      for (LrSchedule s : schedules) {
        out.add(Arguments.of(mode, s));
      }
    }
    return out.stream();
  }

  static TrainOptions options(GradientDescent mode, LrSchedule schedule) {
    int batch = mode == GradientDescent.STOCHASTIC ? 1 : 64;
    return TrainOptions.of(EPOCHS, batch, OptimizerSpec.adam(BASE), 31L).withMode(mode).withSchedule(schedule);
  }

  static ImageSet setFor(GradientDescent mode) {
    return mode == GradientDescent.STOCHASTIC ? set100 : set;
  }

  static TrainResult local(TrainOptions o) {
    ImageSet s = setFor(o.mode());
    return new LocalTrainer().train(ModelSpec.kerasCourse(), o, s, null, Normalization.compute(s),
        TrainingListener.NONE);
  }

  static void assertBitIdentical(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what + ": length");
    int at = Arrays.mismatch(want, got);
    assertTrue(Arrays.equals(want, got), () -> what + " differ first at index " + at + ": LocalTrainer "
        + want[at] + ", SparkTrainer " + got[at]);
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void onePartitionIsBitIdenticalToLocalTrainer(GradientDescent mode, LrSchedule schedule) {
    TrainOptions o = options(mode, schedule);
    int n = setFor(mode).size();
    int steps = new Batcher(n, mode.stepBatch(o.batchSize(), n), 0L, false).numBatches();
    String[] files = mode == GradientDescent.STOCHASTIC ? data100 : data;
    TrainResult want = local(o);
    TrainResult got = new SparkTrainer(spark).train(ModelSpec.kerasCourse(),
        SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(1), new IdxSource(files[0], files[1]),
        null, null, null);
    String what = mode.configName() + ", " + schedule;
    assertBitIdentical(want.params(), got.params(), what + ": parameters");
    assertBitIdentical(want.optimizerState(), got.optimizerState(), what + ": optimizer state");
    assertEquals(EPOCHS * steps, got.optimizerStep(), what + ": optimizer steps");
    assertEquals(want.optimizerStep(), got.optimizerStep(), what + ": optimizer steps");
    double[] rates = new double[EPOCHS];
    for (int e = 0; e < EPOCHS; e++) {
      // each trainer reports the rate of its epoch's last step
      float expected = schedule.rate(BASE, e, steps - 1, steps);
      assertEquals(expected, (float) want.history().get(e).learningRate(), what + ": LocalTrainer rate, epoch " + e);
      assertEquals(expected, (float) got.history().get(e).learningRate(), what + ": SparkTrainer rate, epoch " + e);
      assertEquals(want.history().get(e).loss(), got.history().get(e).loss(), what + ": loss, epoch " + e);
      rates[e] = expected;
    }
    assertTrue(Arrays.stream(rates).distinct().count() > 1, what + ": the schedule moves the rate, got "
        + Arrays.toString(rates));
    float[] constant = CONSTANT.computeIfAbsent(mode, m -> local(options(m, LrSchedule.constant())).params());
    assertFalse(Arrays.equals(constant, got.params()), what + ": the schedule changes the parameters");
  }
}
