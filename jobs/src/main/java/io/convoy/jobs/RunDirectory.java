package io.convoy.jobs;

import io.convoy.pipeline.spark.SparkTrainer;
import io.convoy.pipeline.train.EpochMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One training run's folder on any Hadoop file system: {@code <output.dir>/<yyyyMMdd-HHmmss>-<6 hex>/}
 * holding {@code config.conf}, {@code metrics.jsonl} (one JSON object per epoch), {@code model.cvm} and,
 * by default, {@code checkpoints/}. Small text files are written whole (to a temporary name, then
 * renamed) so a reader never sees half a line.
 */
public final class RunDirectory {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final Path dir;
  private final FileSystem fs;
  private final List<String> metricLines = new ArrayList<>();

  private RunDirectory(Path dir, FileSystem fs) {
    this.dir = dir;
    this.fs = fs;
  }

  /** Creates a new run folder under {@code outputDir}. */
  public static RunDirectory create(String outputDir, Configuration conf) {
    String name = LocalDateTime.now().format(STAMP) + "-" + UUID.randomUUID().toString().substring(0, 6);
    try {
      Path parent = new Path(outputDir);
      FileSystem fs = parent.getFileSystem(conf);
      Path dir = fs.makeQualified(new Path(parent, name));
      if (!fs.mkdirs(dir)) {
        throw new IOException("mkdirs returned false");
      }
      return new RunDirectory(dir, fs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a run directory under output.dir = " + outputDir + ": " + e, e);
    }
  }

  /** The folder, fully qualified ({@code file:/...}, {@code hdfs://...}). */
  public Path path() {
    return dir;
  }

  /** A file in the folder. */
  public Path resolve(String name) {
    return new Path(dir, name);
  }

  /** The path as users see it: a plain local path for the local file system, the URI otherwise. */
  public String display() {
    return "file".equals(dir.toUri().getScheme()) ? dir.toUri().getPath() : dir.toString();
  }

  /** Writes a whole text file in the folder. */
  public void writeText(String name, String text) {
    writeText(fs, resolve(name), text);
  }

  /** Writes a whole text file (temporary name, then rename). */
  static void writeText(FileSystem fs, Path file, String text) {
    Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
    try {
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
      fs.delete(file, false);
      if (!fs.rename(tmp, file)) {
        throw new IOException("rename of " + tmp + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e, e);
    }
  }

  /** Appends one epoch to {@code metrics.jsonl} (the file is rewritten whole). */
  public void appendMetrics(EpochMetrics m, boolean hasTest) {
    metricLines.add(Json.write(metricsMap(m, hasTest)));
    writeText("metrics.jsonl", String.join("\n", metricLines) + "\n");
  }

  /**
   * The JSON fields of one epoch; {@code epoch} is 1-based; NaN accuracies become null. Last comes
   * {@code arrow_peak_bytes}, the most Arrow off-heap memory this JVM's trainer has held so far (in local
   * mode the executors' too).
   */
  static Map<String, Object> metricsMap(EpochMetrics m, boolean hasTest) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("epoch", m.epoch() + 1);
    o.put("loss", m.loss());
    o.put("train_accuracy", m.trainAccuracy());
    o.put("val_accuracy", m.valAccuracy());
    if (hasTest) {
      o.put("test_accuracy", m.testAccuracy());
    }
    o.put("images_per_second", m.imagesPerSecond());
    o.put("compute_s", m.computeSeconds());
    o.put("communication_s", m.communicationSeconds());
    o.put("wait_s", m.waitSeconds());
    o.put("learning_rate", m.learningRate());
    o.put("arrow_peak_bytes", SparkTrainer.arrowPeakBytes());
    return o;
  }
}
