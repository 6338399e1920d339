package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The whole Fashion-MNIST training set, straight from the gzip IDX files, in local mode (long). */
@Tag("long")
class SparkTrainerLongTest {

  @Test
  void fullFashionMnistTwoEpochsAveragingOnTwoPartitions() {
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-spark-long-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    try {
      SparkTrainer trainer = new SparkTrainer(spark);
      String d = "file://" + SparkTestData.DIR;
      IdxSource train = new IdxSource(d + "train-images-idx3-ubyte.gz", d + "train-labels-idx1-ubyte.gz", 10);
      IdxSource test = new IdxSource(d + "t10k-images-idx3-ubyte.gz", d + "t10k-labels-idx1-ubyte.gz", 10);
      ModelSpec spec = ModelSpec.kerasCourse();
      TrainOptions o = TrainOptions.of(2, 128, OptimizerSpec.adam(1e-3f), 1L);
      List<EpochMetrics> epochs = new ArrayList<>();
      long t0 = System.nanoTime();
      TrainResult r = trainer.train(spec, SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(2),
          train, null, test, epochs::add);
      double secs = (System.nanoTime() - t0) / 1e9;
      for (EpochMetrics m : epochs) {
        System.out.println("full Fashion-MNIST, averaging on 2 partitions: " + m.summary()
            + String.format(", communication %.2f s, wait %.2f s", m.communicationSeconds(), m.waitSeconds()));
      }
      System.out.printf("total %.1f s including loading, normalisation and test evaluation%n", secs);
      Evaluation ev = trainer.evaluate(new SavedModel(spec, r.params(), r.buffers(), Map.of()),
          trainer.lastNormalization(), test);
      System.out.println("evaluate: " + ev);
      assertEquals(10000, ev.count());
      assertTrue(ev.accuracy() > 0.85, "test accuracy " + ev.accuracy());
    } finally {
      spark.stop();
    }
  }
}
