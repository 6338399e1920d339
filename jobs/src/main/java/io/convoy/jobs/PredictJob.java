package io.convoy.jobs;

import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.spark.SparkTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code predict} command: writes {@code predict.model}'s predictions for the data set named by
 * {@code predict.data} to {@code predict.output} (CSV, or Parquet for a {@code .parquet} name; by default
 * {@code predictions.csv} beside the model), prints how long the prediction took (reading the data,
 * inference and writing the output, from the started session: JVM and Spark start-up are not counted)
 * and writes the same figures to {@code <output>.metrics.json}; prints the output path last.
 */
final class PredictJob {
  private PredictJob() {}

  static void run(JobConfig c, PrintStream out) {
    try (TrainJob.Session s = TrainJob.Session.open(c)) {
      Configuration hconf = s.spark().sparkContext().hadoopConfiguration();
      Path modelPath = new Path(c.predict().model());
      SavedModel model = ModelFile.readModel(modelPath, hconf);
      JobConfig.DataFiles files = c.data().named(c.predict().data());
      String target = c.predict().output() != null ? c.predict().output()
          : new Path(modelPath.getParent(), "predictions.csv").toString();
      SparkTrainer trainer = new SparkTrainer(s.spark());
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      long rows = trainer.predict(model, EvaluateJob.normalization(c, model), DataSets.source(files, 0), target);
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpuSeconds = cpu0 < 0 ? Double.NaN : (processCpuNanos() - cpu0) / 1e9;
      double rate = rows / Math.max(seconds, 1e-9);
      int partitions = Math.max(1, s.spark().sparkContext().defaultParallelism());
      Path metrics = new Path(target + ".metrics.json");
      writeMetrics(metrics, hconf, modelPath.toString(), files.key(), target, rows, seconds, cpuSeconds, rate,
          partitions);
      out.println(String.format(Locale.ROOT, "predicted %d examples of %s in %.3f s (%.0f images/s, %d partition(s),"
          + " %.3f s of process CPU time)", rows, files.key(), seconds, rate, partitions, cpuSeconds));
      out.println("timing: " + metrics);
      out.println(target);
    }
  }

  /** CPU time of this JVM (all threads: tasks, JIT, GC) in nanoseconds, or -1 when the JVM does not say. */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean b ? b.getProcessCpuTime() : -1L;
  }

  /** The prediction's size and timing as JSON, written through a temporary name. */
  static void writeMetrics(Path target, Configuration hconf, String model, String data, String output, long rows,
      double seconds, double cpuSeconds, double imagesPerSecond, int partitions) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", model);
    json.put("data", data);
    json.put("output", output);
    json.put("examples", rows);
    json.put("partitions", partitions);
    json.put("seconds", seconds);
    json.put("cpu_seconds", cpuSeconds);
    json.put("images_per_second", imagesPerSecond);
    try {
      RunDirectory.writeText(FileSystem.get(target.toUri(), hconf), target, Json.write(json) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e, e);
    }
  }
}
