package io.convoy.jobs;

import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.spark.SparkTrainer;
import java.io.PrintStream;
import org.apache.hadoop.fs.Path;

/**
 * The {@code predict} command: writes {@code predict.model}'s predictions for the data set named by
 * {@code predict.data} to {@code predict.output} (CSV, or Parquet for a {@code .parquet} name; by default
 * {@code predictions.csv} beside the model) and prints the output path last.
 */
final class PredictJob {
  private PredictJob() {}

  static void run(JobConfig c, PrintStream out) {
    try (TrainJob.Session s = TrainJob.Session.open(c)) {
      Path modelPath = new Path(c.predict().model());
      SavedModel model = ModelFile.readModel(modelPath, s.spark().sparkContext().hadoopConfiguration());
      JobConfig.DataFiles files = c.data().named(c.predict().data());
      String target = c.predict().output() != null ? c.predict().output()
          : new Path(modelPath.getParent(), "predictions.csv").toString();
      long rows = new SparkTrainer(s.spark()).predict(model, EvaluateJob.normalization(c, model),
          DataSets.source(files, 0), target);
      out.println("predicted " + rows + " examples of " + files.key());
      out.println(target);
    }
  }
}
