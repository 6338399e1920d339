package io.convoy.pipeline.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.preprocess.PreprocessOptions;
import io.convoy.pipeline.preprocess.Preprocessor;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.TrainValidationSplit;
import org.apache.spark.ml.tuning.TrainValidationSplitModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML stages in local mode with 2 threads on Fashion-MNIST slices. */
class CnnClassifierTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static ImageSet trainSet;
  static ImageSet testSet;
  static Normalization norm;
  static Dataset<Row> train;
  static Dataset<Row> test;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("convoy-ml-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
    trainSet = MlTestData.read("train", 0, 2000);
    testSet = MlTestData.read("t10k", 0, 1000);
    norm = Normalization.compute(trainSet);
    train = MlTestData.frame(spark, trainSet, norm).cache();
    test = MlTestData.frame(spark, testSet, norm).cache();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  static CnnClassifier small() {
    return new CnnClassifier().setNetwork(ModelSpec.kerasCourse()).setEpochs(1).setBatchSize(64)
        .setPartitions(2).setSeed(7L);
  }

  static double accuracy(Dataset<Row> predictions) {
    return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
  }

  /** Image struct column through a Pipeline; predictions equal Convoy's own inference exactly. */
  @Test
  void imageColumnInPipelineMatchesNetwork() throws Exception {
    Pipeline p = new Pipeline().setStages(new PipelineStage[] {small().setFeaturesCol("image")});
    PipelineModel pm = p.fit(train);
    CnnClassificationModel m = (CnnClassificationModel) pm.stages()[0];
    assertEquals(norm.mean()[0], m.normalization().mean()[0], 1e-6);
    List<Row> rows = pm.transform(test).select("probability", "prediction", "rawPrediction").collectAsList();
    assertEquals(1000, rows.size());
    double acc = accuracy(pm.transform(test));
    assertTrue(acc > 0.5, "accuracy " + acc);

    // the evaluator's accuracy is exactly the share of Convoy's argmax predictions equal to the label
    int correct = 0;
    for (int i = 0; i < 1000; i++) {
      correct += rows.get(i).getDouble(1) == testSet.labels()[i] ? 1 : 0;
    }
    assertEquals(correct / 1000.0, acc, 1e-12);

    // the same images through Network.predict with the model's normalisation
    Network net = new Network(m.modelSpec(), 1000);
    float[] x = new float[1000 * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (testSet.pixels()[i] & 0xFF) * m.normalization().scale(0) + m.normalization().shift(0);
    }
    float[] probs = new float[1000 * 10];
    net.predict(m.savedModel().params(), m.savedModel().buffers(), x, 1000, probs);
    for (int i = 0; i < 1000; i++) {
      Vector v = rows.get(i).getAs(0);
      for (int c = 0; c < 10; c++) {
        assertEquals(probs[i * 10 + c], (float) v.apply(c), "row " + i + " class " + c);
      }
      assertEquals(v.argmax(), rows.get(i).getDouble(1), 0.0);
    }

    // save and load the PipelineModel: identical predictions
    String path = tmp.resolve("pipeline").toUri().toString();
    pm.write().overwrite().save(path);
    PipelineModel back = PipelineModel.load(path);
    List<Row> again = back.transform(test).select("probability", "prediction").collectAsList();
    for (int i = 0; i < 1000; i++) {
      assertArrayEquals(((Vector) rows.get(i).getAs(0)).toArray(), ((Vector) again.get(i).getAs(0)).toArray(), 0.0);
    }
    CnnClassificationModel loaded = (CnnClassificationModel) back.stages()[0];
    assertEquals("image", loaded.getOrDefault(loaded.featuresCol()));
    assertEquals(m.uid(), loaded.uid());
  }

  /**
   * array<float> and vector columns train as floats, without quantisation; array<double> and vector
   * columns score exactly like the array<float> column with the same values.
   */
  @Test
  void floatColumnsTrainAndScore() {
    CnnClassificationModel vec = small().setFeaturesCol("vec").fit(train);
    assertEquals(null, vec.normalization());
    double accVec = accuracy(vec.transform(test));
    assertTrue(accVec > 0.5, "vector column: accuracy " + accVec);

    CnnClassificationModel m = small().setFeaturesCol("floats").fit(train);
    double acc = accuracy(m.transform(test));
    assertTrue(acc > 0.5, "array<float> column: accuracy " + acc);
    List<Row> fromFloats = m.transform(test).select("rawPrediction").collectAsList();
    List<Row> fromDoubles = m.copy(new ParamMap()).setFeaturesCol("doubles").transform(test).select("rawPrediction")
        .collectAsList();
    List<Row> fromVec = m.copy(new ParamMap()).setFeaturesCol("vec").transform(test).select("rawPrediction")
        .collectAsList();
    for (int i = 0; i < fromFloats.size(); i++) {
      double[] want = ((Vector) fromFloats.get(i).getAs(0)).toArray();
      assertArrayEquals(want, ((Vector) fromDoubles.get(i).getAs(0)).toArray(), 0.0, "row " + i);
      assertArrayEquals(want, ((Vector) fromVec.get(i).getAs(0)).toArray(), 0.0, "row " + i);
    }
    // the logits are Network's on the same floats (to the last bits: a batch of 1 sums in another order);
    // quantising the floats to bytes would move them by about 1e-2
    float[] x = new float[784];
    for (int i = 0; i < 784; i++) {
      x[i] = norm.apply(testSet.pixels()[i] & 0xFF, 0);
    }
    float[] logits = new Network(m.modelSpec(), 1).forwardOutput(m.savedModel().params(), m.savedModel().buffers(),
        x, 1, false, 0L);
    for (int c = 0; c < 10; c++) {
      assertEquals(logits[c], (float) ((Vector) fromFloats.get(0).getAs(0)).apply(c), 1e-5);
    }
  }

  /** A train/validation split over two learning rates picks the one that learns. */
  @Test
  void tuningPicksTheBetterLearningRate() {
    CnnClassifier cnn = small().setFeaturesCol("image");
    ParamMap[] grid = new ParamGridBuilder().addGrid(cnn.learningRate(), new double[] {1e-7, 1e-3}).build();
    TrainValidationSplit tvs = new TrainValidationSplit().setEstimator(cnn).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setTrainRatio(0.75)
        .setSeed(3L);
    TrainValidationSplitModel best = tvs.fit(train);
    double[] metrics = best.validationMetrics();
    assertTrue(metrics[1] > metrics[0] + 0.2, "validation accuracy 1e-7: " + metrics[0] + ", 1e-3: " + metrics[1]);
    CnnClassificationModel m = (CnnClassificationModel) best.bestModel();
    assertEquals(1e-3, (Double) ((CnnClassifier) m.parent()).getOrDefault(cnn.learningRate()), 0.0);
  }

  /** Two-fold cross-validation over two clearly different learning rates picks the one that learns. */
  @Test
  void crossValidationPicksTheBetterLearningRate() {
    CnnClassifier cnn = small().setFeaturesCol("image");
    ParamMap[] grid = new ParamGridBuilder().addGrid(cnn.learningRate(), new double[] {1e-3, 1e-7}).build();
    CrossValidator cv = new CrossValidator().setEstimator(cnn).setEstimatorParamMaps(grid)
        .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).setNumFolds(2).setSeed(5L);
    CrossValidatorModel best = cv.fit(train);
    double[] metrics = best.avgMetrics();
    assertTrue(metrics[0] > metrics[1] + 0.2, "mean fold accuracy 1e-3: " + metrics[0] + ", 1e-7: " + metrics[1]);
    CnnClassificationModel m = (CnnClassificationModel) best.bestModel();
    assertEquals(1e-3, (Double) ((CnnClassifier) m.parent()).getOrDefault(cnn.learningRate()), 0.0);
  }

  /** Preprocessing shards through ShardFrames: the bytes of the source, trainable as a binary column. */
  @Test
  void shardFramesFromPreprocessing() throws Exception {
    ImageSet set = trainSet.slice(0, 600);
    Path im = tmp.resolve("shard-images.idx");
    Path lb = tmp.resolve("shard-labels.idx");
    try (java.io.DataOutputStream d = new java.io.DataOutputStream(new java.io.FileOutputStream(im.toFile()))) {
      d.writeInt(0x803);
      d.writeInt(set.size());
      d.writeInt(28);
      d.writeInt(28);
      d.write(set.pixels());
    }
    try (java.io.DataOutputStream d = new java.io.DataOutputStream(new java.io.FileOutputStream(lb.toFile()))) {
      d.writeInt(0x801);
      d.writeInt(set.size());
      for (int l : set.labels()) {
        d.writeByte(l);
      }
    }
    String out = tmp.resolve("shards").toUri().toString();
    Preprocessor.run(spark, new PreprocessOptions(im.toUri().toString(), out, lb.toUri().toString(), "*", true, 1,
        28, 28, PreprocessOptions.ResizeMode.CROP, PreprocessOptions.NormalizeSpec.NONE,
        PreprocessOptions.Split.ALL_TRAIN, 0L, PreprocessOptions.ShardFormat.UINT8, 200, false,
        PreprocessOptions.DEFAULT_MAX_PIXELS));
    Dataset<Row> frame = ShardFrames.read(spark, out, "train");
    assertEquals(ShardFrames.schema(), frame.schema());
    List<Row> rows = frame.orderBy(ShardFrames.INDEX).collectAsList();
    assertEquals(600, rows.size());
    // records keep the source's bytes and labels (preprocessing may reorder them: match by content)
    java.util.Map<String, Integer> labelOf = new java.util.HashMap<>();
    for (int i = 0; i < 600; i++) {
      labelOf.put(java.util.Arrays.toString(java.util.Arrays.copyOfRange(set.pixels(), i * 784, (i + 1) * 784)),
          set.labels()[i]);
    }
    for (Row r : rows) {
      byte[] px = r.getAs(ShardFrames.FEATURES);
      Integer want = labelOf.get(java.util.Arrays.toString(px));
      assertTrue(want != null, "row " + r.getLong(0) + " is not a source image");
      assertEquals(want.intValue(), r.getInt(2), "label of row " + r.getLong(0));
    }
    CnnClassificationModel m = small().fit(frame);
    assertTrue(m.normalization() != null);
    assertEquals(600, m.transform(frame).count());
  }

  /** The estimator's params survive save and load (Spark's metadata only). */
  @Test
  void estimatorSavesAndLoadsItsParams() throws Exception {
    CnnClassifier c = small().setLearningRate(0.02).setOptimizer("sgd").setStrategy("sync_sgd");
    String path = tmp.resolve("estimator").toUri().toString();
    c.write().overwrite().save(path);
    CnnClassifier back = CnnClassifier.load(path);
    assertEquals(c.uid(), back.uid());
    assertEquals(0.02, (Double) back.getOrDefault(back.learningRate()), 0.0);
    assertEquals("sgd", back.getOrDefault(back.optimizer()));
    assertEquals("sync_sgd", back.getOrDefault(back.strategy()));
    assertEquals(ModelSpec.kerasCourse(), back.modelSpec());
  }

  @Test
  void badParamsFailNamingParamAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> small().setFeaturesCol("image").setEpochs(-3).fit(train));
    assertTrue(e.getMessage().contains("epochs") && e.getMessage().contains("-3"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("image").setNetwork(
        "{\"input\": [1, 28, 28], \"loss\": \"softmax_cross_entropy\", \"classes\": 10, \"layers\": [{\"type\": \"conv9\"}]}").fit(train));
    assertTrue(e.getMessage().contains("network") && e.getMessage().contains("conv9"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("image").setNetwork("{not json")
        .fit(train));
    assertTrue(e.getMessage().contains("network") && e.getMessage().contains("{not json"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("image").setLearningRate(-0.5)
        .fit(train));
    assertTrue(e.getMessage().contains("learningRate") && e.getMessage().contains("-0.5"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("image").setOptimizer("adamax")
        .fit(train));
    assertTrue(e.getMessage().contains("optimizer") && e.getMessage().contains("adamax"), e.getMessage());

    Dataset<Row> strings = train.selectExpr("cast(label as string) as features", "label");
    e = assertThrows(IllegalArgumentException.class, () -> small().fit(strings));
    assertTrue(e.getMessage().contains("featuresCol") && e.getMessage().contains("string"), e.getMessage());

    Dataset<Row> stringLabels = train.selectExpr("image", "cast(label as string) as label");
    e = assertThrows(IllegalArgumentException.class, () -> small().setFeaturesCol("image").fit(stringLabels));
    assertTrue(e.getMessage().contains("labelCol") && e.getMessage().contains("string"), e.getMessage());

    CnnClassificationModel m = new CnnClassificationModel(null, ModelSpec.kerasCourse(),
        new float[ModelSpec.kerasCourse().paramCount()], new float[0], null);
    e = assertThrows(IllegalArgumentException.class, () -> m.transform(strings));
    assertTrue(e.getMessage().contains("featuresCol") && e.getMessage().contains("string"), e.getMessage());

    // a wrongly sized array fails in the task, naming the column, the row and the size
    Dataset<Row> shortRows = train.selectExpr("slice(floats, 1, 100) as features", "label");
    Exception ex = assertThrows(Exception.class, () -> m.transform(shortRows).count());
    String msg = rootMessage(ex);
    assertTrue(msg.contains("features") && msg.contains("100 values"), msg);
  }

  static String rootMessage(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append(" | ");
    }
    return sb.toString();
  }
}
