package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.ml.CnnClassificationModel;
import io.convoy.pipeline.ml.CnnClassifier;
import io.convoy.pipeline.model.ModelSpec;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Spark ML estimator end to end on a real HDFS (MiniDFSCluster on 127.0.0.1): Fashion-MNIST
 * images as Parquet on HDFS in Spark's image struct, the reference CNN fitted for one epoch on 2000
 * of them inside a Pipeline (synchronous SGD over 2 partitions), the PipelineModel saved to HDFS, the Spark session stopped, a fresh
 * session loading it and giving identical predictions on 1000 test images.
 */
class MlPipelineHdfsTest {
  private static final String FASHION = "/usr/share/datasets/fashion-mnist/";
  private static MiniDFSCluster cluster;
  private static String hdfs;
  private static Configuration conf;

  @BeforeAll
  static void start() throws Exception {
    File base = Files.createTempDirectory("convoy-minidfs-ml").toFile();
    conf = MiniHdfs.conf(base);
    cluster = MiniHdfs.start(conf);
    hdfs = MiniHdfs.uri(cluster);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static SparkSession session() {
    return SparkSession.builder().master("local[2]").appName("convoy-ml-hdfs")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
  }

  private static void stopSession(SparkSession spark) {
    spark.stop();
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** Rows (id, image struct, label) of records {@code [from, to)} of a Fashion-MNIST set. */
  private static Dataset<Row> frame(SparkSession spark, String set, int from, int to) {
    ImageSet s = IdxReader.read(new Path(FASHION + set + "-images-idx3-ubyte.gz"),
        new Path(FASHION + set + "-labels-idx1-ubyte.gz"), new Configuration(), 10).slice(from, to);
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("id", DataTypes.IntegerType, false),
        DataTypes.createStructField("image", ImageSchema.columnSchema(), false),
        DataTypes.createStructField("label", DataTypes.IntegerType, false)));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < s.size(); i++) {
      byte[] px = Arrays.copyOfRange(s.pixels(), i * 784, (i + 1) * 784);
      rows.add(RowFactory.create(i, RowFactory.create(set + "/" + i, 28, 28, 1, 0, px), s.labels()[i]));
    }
    return spark.createDataFrame(rows, schema);
  }

  private static List<double[]> probabilities(Dataset<Row> predictions) {
    List<double[]> out = new ArrayList<>();
    for (Row r : predictions.orderBy("id").select("probability").collectAsList()) {
      out.add(((Vector) r.getAs(0)).toArray());
    }
    return out;
  }

  @Test
  void pipelineModelSavedToHdfsPredictsIdenticallyInAFreshSession() throws Exception {
    String train = hdfs + "/data/train.parquet";
    String test = hdfs + "/data/test.parquet";
    String saved = hdfs + "/models/fashion-cnn";
    SparkSession first = session();
    List<double[]> before;
    double accuracy;
    try {
      frame(first, "train", 0, 2000).write().parquet(train);
      frame(first, "t10k", 0, 1000).write().parquet(test);
      CnnClassifier cnn = new CnnClassifier().setNetwork(ModelSpec.referenceCnn()).setFeaturesCol("image")
          .setEpochs(1).setBatchSize(64).setPartitions(2).setStrategy("sync_sgd").setSeed(11L);
      PipelineModel pm = new Pipeline().setStages(new PipelineStage[] {cnn}).fit(first.read().parquet(train));
      Dataset<Row> predicted = pm.transform(first.read().parquet(test));
      before = probabilities(predicted);
      accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predicted);
      pm.write().save(saved);
    } finally {
      stopSession(first);
    }
    System.out.printf("MlPipelineHdfsTest: reference CNN, 1 epoch on 2000 images, test accuracy %.4f%n", accuracy);
    assertEquals(1000, before.size());
    assertTrue(accuracy > 0.5, "accuracy after one epoch on 2000 images: " + accuracy);

    // the layout on HDFS: Spark's metadata plus Convoy's model file per stage
    FileSystem fs = FileSystem.get(java.net.URI.create(hdfs), conf);
    Path stages = new Path(saved + "/stages");
    Path stage = fs.listStatus(stages)[0].getPath();
    assertTrue(fs.exists(new Path(stage, "metadata")), "no metadata in " + stage);
    assertTrue(fs.getFileStatus(new Path(stage, "data/model.cvm")).getLen() > 4 * ModelSpec.referenceCnn()
        .paramCount(), "model file too small in " + stage);

    SparkSession second = session();
    try {
      PipelineModel back = PipelineModel.load(saved);
      List<double[]> after = probabilities(back.transform(second.read().parquet(test)));
      assertEquals(before.size(), after.size());
      for (int i = 0; i < before.size(); i++) {
        assertArrayEquals(before.get(i), after.get(i), 0.0, "row " + i);
      }
      CnnClassificationModel m = (CnnClassificationModel) back.stages()[0];
      assertEquals(ModelSpec.referenceCnn(), m.modelSpec());
      assertEquals("image", m.getOrDefault(m.featuresCol()));
    } finally {
      stopSession(second);
    }
  }
}
