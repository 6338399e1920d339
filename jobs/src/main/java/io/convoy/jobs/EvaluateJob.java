package io.convoy.jobs;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.spark.DataSource;
import io.convoy.pipeline.spark.Evaluation;
import io.convoy.pipeline.spark.SparkTrainer;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code evaluate} command: loads {@code evaluate.model}, evaluates it on the data set named by
 * {@code evaluate.data}, prints accuracy, per-class precision and recall and the confusion matrix, and
 * writes {@code evaluation.json} (to {@code evaluate.output}, by default beside the model).
 */
final class EvaluateJob {
  private EvaluateJob() {}

  static void run(JobConfig c, PrintStream out) {
    try (TrainJob.Session s = TrainJob.Session.open(c)) {
      Configuration hconf = s.spark().sparkContext().hadoopConfiguration();
      Path modelPath = new Path(c.evaluate().model());
      SavedModel model = ModelFile.readModel(modelPath, hconf);
      JobConfig.DataFiles files = c.data().named(c.evaluate().data());
      DataSource data = DataSets.source(files, model.spec().numClasses());
      Evaluation e = new SparkTrainer(s.spark()).evaluate(model, normalization(c, model), data);
      out.print(report(e, files.key()));
      Path target = c.evaluate().output() != null ? new Path(c.evaluate().output())
          : new Path(modelPath.getParent(), "evaluation.json");
      writeJson(e, modelPath.toString(), files.key(), target, hconf);
      out.println(target);
    }
  }

  /** Writes {@code evaluation.json} (the form the training report reads) through a temporary name. */
  static void writeJson(Evaluation e, String model, String data, Path target, Configuration hconf) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", model);
    json.put("data", data);
    json.put("count", e.count());
    json.put("accuracy", e.accuracy());
    json.put("loss", e.loss());
    json.put("precision", e.precision());
    json.put("recall", e.recall());
    json.put("confusion", e.confusion());
    try {
      RunDirectory.writeText(FileSystem.get(target.toUri(), hconf), target, Json.write(json) + "\n");
    } catch (java.io.IOException ex) {
      throw new java.io.UncheckedIOException("cannot write " + target + ": " + ex, ex);
    }
  }

  /** The model's own normalisation (stored at training), else the configured one, else null (computed). */
  static Normalization normalization(JobConfig c, SavedModel model) {
    Normalization n = TrainJob.Session.normalization(model);
    if (n == null && !c.data().computeNormalization()) {
      n = new Normalization(c.data().mean(), c.data().std());
    }
    return n;
  }

  static String report(Evaluation e, String what) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%s: %d examples, accuracy %.4f, loss %.4f%n", what, e.count(), e.accuracy(),
        e.loss()));
    sb.append("class  precision  recall\n");
    for (int k = 0; k < e.precision().length; k++) {
      sb.append(String.format(Locale.ROOT, "%5d  %9.4f  %6.4f%n", k, e.precision()[k], e.recall()[k]));
    }
    sb.append("confusion matrix (rows: true class, columns: predicted)\n");
    for (long[] row : e.confusion()) {
      for (long v : row) {
        sb.append(String.format(Locale.ROOT, "%6d", v));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
