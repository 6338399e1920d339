package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.DropoutSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark trainer in local mode with 2 threads, on small cuts of Fashion-MNIST. */
class SparkTrainerTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static SparkTrainer trainer;
  static String[] small;      // 600 training records
  static String[] train4k;    // 4000 training records
  static String[] test1k;     // 1000 test records

  @BeforeAll
  static void start() throws Exception {
    spark = SparkSession.builder().master("local[2]").appName("convoy-spark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    trainer = new SparkTrainer(spark);
    small = SparkTestData.write(tmp, "train", "small", 0, 600, -1, 0);
    train4k = SparkTestData.write(tmp, "train", "train4k", 1000, 4000, -1, 0);
    test1k = SparkTestData.write(tmp, "t10k", "test1k", 0, 1000, -1, 0);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static ImageSet read(String[] paths) {
    return IdxReader.read(new org.apache.hadoop.fs.Path(paths[0]), new org.apache.hadoop.fs.Path(paths[1]),
        new Configuration(), 10);
  }

  static float maxAbsDiff(float[] a, float[] b) {
    assertEquals(a.length, b.length);
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  static float maxAbs(float[] a) {
    float m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  @Test
  void averagingOnOnePartitionIsBitIdenticalToLocalTrainer() {
    ModelSpec spec = ModelSpec.kerasCourse();
    // 600 examples, batch 64: 9 full batches and a short one of 24, two epochs
    TrainOptions o = TrainOptions.of(2, 64, OptimizerSpec.adam(1e-3f), 42L);
    ImageSet set = read(small);
    TrainResult local = new LocalTrainer().train(spec, o, set, null, Normalization.compute(set), TrainingListener.NONE);
    SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(1);
    TrainResult dist = trainer.train(spec, so, new IdxSource(small[0], small[1]), null, null, null);
    System.out.printf("averaging, 1 partition vs LocalTrainer: max |diff| params %g, optimizer state %g%n",
        maxAbsDiff(dist.params(), local.params()), maxAbsDiff(dist.optimizerState(), local.optimizerState()));
    assertArrayEquals(local.params(), dist.params());
    assertArrayEquals(local.buffers(), dist.buffers());
    assertArrayEquals(local.optimizerState(), dist.optimizerState());
    assertEquals(local.optimizerStep(), dist.optimizerStep());
    assertEquals(local.history().get(1).loss(), dist.history().get(1).loss(), 1e-6);
  }

  @Test
  void averagingOnOnePartitionWithDropoutAndAugmentationIsBitIdenticalToLocalTrainer() {
    ModelSpec k = ModelSpec.kerasCourse();
    List<LayerSpec> layers = new ArrayList<>(k.layers());
    layers.add(5, new DropoutSpec("drop1", 0.25f));   // after relu2
    ModelSpec spec = new ModelSpec(k.input(), layers, k.loss(), k.numClasses());
    Augmentation aug = new Augmentation(true, 2);
    TrainOptions o = TrainOptions.of(1, 300, OptimizerSpec.momentum(0.02f, 0.9f), 5L);   // chunks of 256 + 44
    ImageSet set = read(small);
    TrainResult local = new LocalTrainer().augmentation(aug)
        .train(spec, o, set, null, Normalization.compute(set), TrainingListener.NONE);
    SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(1)
        .withAugmentation(aug);
    TrainResult dist = trainer.train(spec, so, new IdxSource(small[0], small[1]), null, null, null);
    assertArrayEquals(local.params(), dist.params());
    assertArrayEquals(local.optimizerState(), dist.optimizerState());
  }

  @Test
  void syncSgdMatchesLocalTrainerWithTheSameGlobalBatch() {
    ModelSpec spec = ModelSpec.kerasCourse();   // no dropout, so the partitions' masks cannot differ
    TrainOptions o = TrainOptions.of(1, 100, OptimizerSpec.momentum(0.05f, 0.9f), 7L);
    ImageSet set = read(small);
    TrainResult local = new LocalTrainer().train(spec, o, set, null, Normalization.compute(set), TrainingListener.NONE);
    for (int parts : new int[] {2, 5}) {
      SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.SYNC_SGD).withPartitions(parts);
      List<EpochMetrics> epochs = new ArrayList<>();
      TrainResult dist = trainer.train(spec, so, new IdxSource(small[0], small[1]), null, null, epochs::add);
      float diff = maxAbsDiff(dist.params(), local.params());
      float scale = maxAbs(local.params());
      EpochMetrics m = epochs.get(0);
      System.out.printf("sync SGD, %d partitions vs LocalTrainer (6 steps of 100): max |diff| %g, max |param| %g, "
          + "relative %g; per step: compute %.3f s, communication %.3f s, wait %.3f s%n", parts, diff, scale,
          diff / scale, m.computeSeconds() / 6, m.communicationSeconds() / 6, m.waitSeconds() / 6);
      assertTrue(diff <= 1e-5f * scale, parts + " partitions: max abs diff " + diff + " vs max |param| " + scale);
      assertEquals(local.optimizerStep(), dist.optimizerStep());
      assertEquals(local.history().get(0).trainAccuracy(), m.trainAccuracy(), 0.01);
    }
  }

  @Test
  void syncSgdMapsTheEpochOrderOntoRecordNumbersThatDoNotStartAtZeroOrHaveGaps() {
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainOptions o = TrainOptions.of(1, 50, OptimizerSpec.sgd(0.1f), 9L);
    ImageSet all = read(small);
    IdxSource src = new IdxSource(small[0], small[1]);
    // contiguous records [100, 600), and every third record from 0
    int[] every3 = new int[200];
    for (int i = 0; i < every3.length; i++) {
      every3[i] = 3 * i;
    }
    ImageSet[] sets = {all.slice(100, 600), all.select(every3)};
    DataSource[] sources = {new FilteredSource(src, 100, 1), new FilteredSource(src, 0, 3)};
    for (int c = 0; c < 2; c++) {
      TrainResult local = new LocalTrainer().train(spec, o, sets[c], null, Normalization.compute(sets[c]),
          TrainingListener.NONE);
      TrainResult dist = trainer.train(spec, SparkTrainOptions.of(o, Strategy.SYNC_SGD).withPartitions(2), sources[c],
          null, null, null);
      float diff = maxAbsDiff(dist.params(), local.params());
      assertTrue(diff <= 1e-5f * maxAbs(local.params()), sources[c].describe() + ": max abs diff " + diff);
    }
  }

  @Test
  void earlyStoppingKeepsTheBestEpochAndPredictionsGoToParquet() {
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainOptions o = TrainOptions.of(5, 50, OptimizerSpec.adam(1e-3f), 13L);
    IdxSource src = new IdxSource(small[0], small[1]);
    IdxSource val = new IdxSource(test1k[0], test1k[1]);
    SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(2);
    // a min-delta of 1 means no epoch after the first counts as better: stop after 1 + patience epochs
    TrainResult r = trainer.train(spec, so.withTrain(o.withEarlyStopping(2, 1f)), src, val, null, null);
    assertEquals(3, r.history().size());
    assertEquals(0, r.bestEpoch());
    TrainResult one = trainer.train(spec, so.withTrain(o.withEpochs(1)), src, null, null, null);
    assertArrayEquals(one.params(), r.params());

    String out = tmp.resolve("pred.parquet").toUri().toString();
    long n = trainer.predict(new SavedModel(spec, r.params(), r.buffers(), Map.of()), null, val, out);
    assertEquals(1000, n);
    var df = spark.read().parquet(out);
    assertEquals(1000, df.count());
    assertEquals(List.of("index", "label", "predicted", "p0"), List.of(df.columns()).subList(0, 4));
  }

  @Test
  void averagingOnTwoPartitionsLearnsAndEvaluatesAndPredicts() throws Exception {
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainOptions o = TrainOptions.of(2, 32, OptimizerSpec.adam(1e-3f), 3L);
    SparkTrainOptions so = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(2);
    List<EpochMetrics> epochs = new ArrayList<>();
    IdxSource test = new IdxSource(test1k[0], test1k[1]);
    TrainResult r = trainer.train(spec, so, new IdxSource(train4k[0], train4k[1]), test, null, epochs::add);
    for (EpochMetrics m : epochs) {
      System.out.println("averaging, 2 partitions: " + m.summary() + String.format(", communication %.2f s, wait %.2f s",
          m.communicationSeconds(), m.waitSeconds()));
    }
    double acc = epochs.get(epochs.size() - 1).valAccuracy();
    assertTrue(acc > 0.7, "validation accuracy " + acc);

    ImageSet trainSet = read(train4k);
    Normalization norm = Normalization.compute(trainSet);
    SavedModel model = new SavedModel(spec, r.params(), r.buffers(), Map.of());
    assertEquals(norm, trainer.lastNormalization());
    Evaluation ev = trainer.evaluate(model, norm, test);
    System.out.println("evaluate: " + ev);
    assertEquals(1000, ev.count());
    assertEquals(acc, ev.accuracy(), 1e-9);
    // the full gzip-compressed test set straight from the Debian package
    Evaluation full = trainer.evaluate(model, norm, new IdxSource("file://" + SparkTestData.DIR
        + "t10k-images-idx3-ubyte.gz", "file://" + SparkTestData.DIR + "t10k-labels-idx1-ubyte.gz", 10));
    System.out.println("evaluate on all of t10k (gzip): " + full);
    assertEquals(10000, full.count());
    assertTrue(full.accuracy() > 0.7, "accuracy " + full.accuracy());
    long total = 0;
    for (long[] row : ev.confusion()) {
      for (long c : row) {
        total += c;
      }
    }
    assertEquals(1000, total);

    String out = tmp.resolve("pred.csv").toUri().toString();
    long n = trainer.predict(model, norm, test, out);
    assertEquals(1000, n);
    List<String> lines = new ArrayList<>();
    try (var files = Files.list(tmp.resolve("pred.csv"))) {
      for (Path p : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted()::iterator) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    assertTrue(lines.get(0).startsWith("index,label,predicted,p0"), lines.get(0));
    assertEquals("0", lines.get(1).split(",")[0]);
    assertEquals(1000, lines.stream().filter(s -> !s.startsWith("index")).count());
  }

  @Test
  void resumeFromCheckpointReachesTheSameParameters() {
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainOptions o2 = TrainOptions.of(3, 50, OptimizerSpec.adam(1e-3f), 11L);
    SparkTrainOptions base = SparkTrainOptions.of(o2, Strategy.PARAMETER_AVERAGING).withPartitions(2)
        .withAveragingPeriod(4);
    IdxSource src = new IdxSource(small[0], small[1]);
    TrainResult whole = trainer.train(spec, base, src, null, null, null);
    String dir = tmp.resolve("ckpt").toUri().toString();
    TrainResult first = trainer.train(spec, base.withTrain(o2.withEpochs(1)).withCheckpoints(dir, false), src, null,
        null, null);
    assertEquals(1, first.history().size());
    TrainResult resumed = trainer.train(spec, base.withCheckpoints(dir, true), src, null, null, null);
    assertEquals(3, resumed.history().size());
    assertArrayEquals(whole.params(), resumed.params());
    assertArrayEquals(whole.optimizerState(), resumed.optimizerState());
    assertEquals(whole.optimizerStep(), resumed.optimizerStep());
    assertEquals(whole.history().get(2).loss(), resumed.history().get(2).loss());

    // the same for synchronous SGD, whose optimizer lives on the driver
    TrainOptions s2 = TrainOptions.of(2, 100, OptimizerSpec.adam(1e-3f), 12L);
    SparkTrainOptions sync = SparkTrainOptions.of(s2, Strategy.SYNC_SGD).withPartitions(2);
    TrainResult syncWhole = trainer.train(spec, sync, src, null, null, null);
    String dir2 = tmp.resolve("ckpt-sync").toUri().toString();
    trainer.train(spec, sync.withTrain(s2.withEpochs(1)).withCheckpoints(dir2, false), src, null, null, null);
    TrainResult syncResumed = trainer.train(spec, sync.withCheckpoints(dir2, true), src, null, null, null);
    assertArrayEquals(syncWhole.params(), syncResumed.params());
    assertEquals(syncWhole.optimizerStep(), syncResumed.optimizerStep());
  }

  @Test
  void badInputsNameWhatIsWrong() throws Exception {
    ModelSpec spec = ModelSpec.kerasCourse();
    SparkTrainOptions so = SparkTrainOptions.of(TrainOptions.of(1, 32, OptimizerSpec.adam(1e-3f), 1L),
        Strategy.PARAMETER_AVERAGING).withPartitions(2);
    String missing = tmp.resolve("nope-images.idx").toUri().toString();
    Exception e = assertThrows(IllegalArgumentException.class,
        () -> trainer.train(spec, so, new IdxSource(missing, small[1]), null, null, null));
    assertTrue(e.getMessage().contains(missing), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> trainer.train(ModelSpec.lenet5(), so, new IdxSource(small[0], small[1]), null, null, null));
    assertTrue(e.getMessage().contains("(1, 28, 28)") && e.getMessage().contains("(3, 32, 32)"), e.getMessage());

    String[] bad = SparkTestData.write(tmp, "train", "badlabel", 0, 100, 57, 12);
    e = assertThrows(IllegalArgumentException.class,
        () -> trainer.train(spec, so, new IdxSource(bad[0], bad[1]), null, null, null));
    assertTrue(e.getMessage().contains("record 57") && e.getMessage().contains("label 12"), e.getMessage());

    assertThrows(IllegalArgumentException.class, () -> SparkTrainOptions.of(so.train(), null));
    e = assertThrows(IllegalArgumentException.class, () -> so.withAveragingPeriod(-1));
    assertTrue(e.getMessage().contains("train.averaging-period"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> so.withPartitions(-2));
    assertTrue(e.getMessage().contains("train.partitions"), e.getMessage());
  }

  static List<String> csvRows(Path folder) throws Exception {
    List<String> lines = new ArrayList<>();
    try (var files = Files.list(folder)) {
      for (Path p : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted()::iterator) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    return lines;
  }

  @Test
  void predictionReadInRecordOrderEqualsTheSortedSparkOutput() throws Exception {
    ModelSpec spec = ModelSpec.kerasCourse();
    io.convoy.pipeline.model.Network net = new io.convoy.pipeline.model.Network(spec, 1);
    float[] params = new float[net.numParams()];
    float[] buffers = new float[net.numBuffers()];
    net.initParams(params, buffers, io.convoy.pipeline.model.InitKind.HE, 21L);
    SavedModel model = new SavedModel(spec, params, buffers, Map.of());
    Normalization norm = new Normalization(new float[] {0.29f}, new float[] {0.35f});
    IdxSource test = new IdxSource(test1k[0], test1k[1]);
    assertTrue(test.loadInOrder(JavaSparkContextHolder.of(spark), 2, 10) != null);
    // the IDX source reads in record order (one job, CSV written by the tasks); the filtered source cannot,
    // so it goes through load, a DataFrame sort and Spark's CSV writer
    DataSource unordered = new FilteredSource(test, 0, 1);
    assertEquals(null, unordered.loadInOrder(JavaSparkContextHolder.of(spark), 2, 10));
    assertEquals(1000, trainer.predict(model, norm, test, tmp.resolve("ordered.csv").toUri().toString()));
    assertEquals(1000, trainer.predict(model, norm, unordered, tmp.resolve("sorted.csv").toUri().toString()));
    List<String> a = csvRows(tmp.resolve("ordered.csv"));
    List<String> b = csvRows(tmp.resolve("sorted.csv"));
    assertEquals(b.get(0), a.get(0));
    assertEquals(b.stream().filter(l -> !l.startsWith("index")).toList(),
        a.stream().filter(l -> !l.startsWith("index")).toList());
    for (int i = 1; i <= 5; i++) {
      assertEquals(String.valueOf(i - 1), a.get(i).split(",")[0]);
    }
    assertTrue(Files.exists(tmp.resolve("ordered.csv").resolve("_SUCCESS")));
  }

  @Test
  void decodingKnowsOrLearnsThePartitionSize() {
    IdxSource src = new IdxSource(small[0], small[1]);
    Normalization norm = new Normalization(new float[] {0.29f}, new float[] {0.35f});
    List<BatchChunk> chunks = SparkData.toArrow(src.load(JavaSparkContextHolder.of(spark), 1, 3L, 10),
        src.shape(), norm, 10).collect();
    int n = 0;
    for (BatchChunk c : chunks) {
      n += c.indices().length;
    }
    assertEquals(600, n);
    assertTrue(chunks.size() > 1, "several chunks, so that the arrays grow");
    SparkData.PartitionData known = SparkData.decode(0, chunks.iterator(), src.shape(), n);
    SparkData.PartitionData learnt = SparkData.decode(0, chunks.iterator(), src.shape(), -1);
    assertArrayEquals(known.x(), learnt.x());
    assertArrayEquals(known.labels(), learnt.labels());
    assertArrayEquals(known.indices(), learnt.indices());
    assertEquals(600 * 784, learnt.x().length);
    ImageSet set = read(small);
    float[] x = new float[784];
    int[] y = new int[1];
    int r = known.indices()[7];
    io.convoy.pipeline.data.Batcher.fill(set, new int[] {r}, 0, 1, norm, null, 0L, x, y);
    assertArrayEquals(x, java.util.Arrays.copyOfRange(known.x(), 7 * 784, 8 * 784));
    assertEquals(y[0], known.labels()[7]);
  }

  @Test
  void lrScalingMultipliesTheReplicasRateAndLeavesOnePartitionAlone() {
    ModelSpec spec = ModelSpec.kerasCourse();
    IdxSource src = new IdxSource(small[0], small[1]);
    TrainOptions o = TrainOptions.of(1, 50, OptimizerSpec.adam(1e-3f), 17L);
    SparkTrainOptions avg = SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withAveragingPeriod(3);
    // two replicas with linear scaling train exactly as two replicas given twice the rate
    TrainResult linear = trainer.train(spec, avg.withPartitions(2).withLrScaling(LrScaling.LINEAR), src, null, null,
        null);
    TrainResult doubled = trainer.train(spec, avg.withPartitions(2).withTrain(TrainOptions.of(1, 50,
        OptimizerSpec.adam(2e-3f), 17L)), src, null, null, null);
    TrainResult plain = trainer.train(spec, avg.withPartitions(2), src, null, null, null);
    assertArrayEquals(doubled.params(), linear.params());
    assertTrue(maxAbsDiff(plain.params(), linear.params()) > 0f);
    assertEquals(2e-3f, (float) linear.history().get(0).learningRate());
    // one replica: every scaling is the factor 1
    TrainResult one = trainer.train(spec, avg.withPartitions(1).withLrScaling(LrScaling.SQRT), src, null, null, null);
    TrainResult oneNone = trainer.train(spec, avg.withPartitions(1), src, null, null, null);
    assertArrayEquals(oneNone.params(), one.params());
    assertEquals(1f, LrScaling.LINEAR.factor(1));
    assertEquals((float) Math.sqrt(8), LrScaling.SQRT.factor(8));
    assertEquals(8f, LrScaling.LINEAR.factor(8));
  }

  /** The Java context of a session. */
  static final class JavaSparkContextHolder {
    static org.apache.spark.api.java.JavaSparkContext of(SparkSession s) {
      return org.apache.spark.api.java.JavaSparkContext.fromSparkContext(s.sparkContext());
    }
  }
}
