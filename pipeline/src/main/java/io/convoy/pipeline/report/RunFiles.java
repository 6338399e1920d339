package io.convoy.pipeline.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.spark.Evaluation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads the files of a run directory into a {@link TrainingReport.Builder}. Each file is optional;
 * a file that is present but malformed is an error naming the file and line.
 *
 * <p>{@code metrics.jsonl} lines are JSON objects in the train job's form (1-based {@code epoch},
 * {@code loss}, {@code train_accuracy}, {@code val_accuracy}, {@code test_accuracy},
 * {@code images_per_second}, {@code compute_s}, {@code communication_s}, {@code wait_s},
 * {@code learning_rate}; null or missing numbers mean not measured) or in
 * {@link EpochMetrics#toMap()}'s form (0-based, hyphenated keys). {@code evaluation.json} holds
 * {@code accuracy}, {@code loss}, {@code count}, {@code precision}, {@code recall} and
 * {@code confusion} ({@code [true][predicted]}).
 */
final class RunFiles {
  static final String METRICS = "metrics.jsonl";
  static final String CONFIG = "config.conf";
  static final String MODEL = "model.cvm";
  static final String EVALUATION = "evaluation.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private RunFiles() {}

  static TrainingReport.Builder read(Path dir, Configuration conf) {
    FileSystem fs;
    try {
      fs = dir.getFileSystem(conf);
      if (!fs.getFileStatus(dir).isDirectory()) {
        throw new IllegalArgumentException("report: " + dir + " is not a run directory (a file, expected a folder)");
      }
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("report: run directory " + dir + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot open run directory " + dir + ": " + e, e);
    }
    String display = "file".equals(dir.toUri().getScheme()) ? dir.toUri().getPath() : dir.toString();
    TrainingReport.Builder b = TrainingReport.builder().runName(display);
    String metrics = text(fs, new Path(dir, METRICS));
    if (metrics != null) {
      b.history(parseMetrics(metrics, new Path(dir, METRICS).toString()));
    }
    b.config(text(fs, new Path(dir, CONFIG)));
    Path model = new Path(dir, MODEL);
    if (exists(fs, model)) {
      SavedModel m = ModelFile.readModel(model, conf);
      b.model(m);
      if (m.metadata().get("class-names") instanceof List<?> names) {
        b.classNames(names.stream().map(String::valueOf).toList());
      }
    }
    String eval = text(fs, new Path(dir, EVALUATION));
    if (eval != null) {
      b.evaluation(parseEvaluation(eval, new Path(dir, EVALUATION).toString()), EVALUATION);
    }
    return b;
  }

  /** Epoch metrics from JSON lines; blank lines are skipped; {@code file} names the source in errors. */
  static List<EpochMetrics> parseMetrics(String text, String file) {
    List<EpochMetrics> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      JsonNode o;
      try {
        o = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("report: " + file + " line " + (i + 1) + " is not JSON: "
            + e.getOriginalMessage(), e);
      }
      if (o == null || !o.isObject() || !o.has("epoch") || !o.get("epoch").canConvertToInt()) {
        throw new IllegalArgumentException("report: " + file + " line " + (i + 1)
            + " must be a JSON object with an integer \"epoch\", got: " + abbreviate(line));
      }
      if (o.has("train-accuracy") || o.has("compute-seconds")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JSON.convertValue(o, Map.class);
        out.add(EpochMetrics.fromMap(m));
      } else {
        out.add(new EpochMetrics(o.get("epoch").asInt() - 1, num(o, "loss"), num(o, "train_accuracy"),
            num(o, "val_accuracy"), num(o, "test_accuracy"), num(o, "images_per_second"), num(o, "compute_s"),
            num(o, "communication_s"), num(o, "wait_s"), num(o, "learning_rate")));
      }
    }
    return out;
  }

  /** An evaluation from evaluation.json's text. */
  static Evaluation parseEvaluation(String text, String file) {
    JsonNode o;
    try {
      o = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("report: " + file + " is not JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode cm = o == null ? null : o.get("confusion");
    if (cm == null || !cm.isArray() || cm.isEmpty()) {
      throw new IllegalArgumentException("report: " + file + " has no \"confusion\" matrix (an array of rows)");
    }
    int k = cm.size();
    long[][] confusion = new long[k][];
    for (int t = 0; t < k; t++) {
      JsonNode row = cm.get(t);
      if (!row.isArray() || row.size() != k) {
        throw new IllegalArgumentException("report: " + file + " confusion row " + t + " must hold " + k
            + " counts, got " + abbreviate(row.toString()));
      }
      confusion[t] = new long[k];
      for (int p = 0; p < k; p++) {
        confusion[t][p] = row.get(p).asLong();
      }
    }
    Evaluation derived = Evaluation.fromConfusion(confusion, 0);
    double[] precision = array(o, "precision", k, file, derived.precision());
    double[] recall = array(o, "recall", k, file, derived.recall());
    double acc = o.has("accuracy") ? num(o, "accuracy") : derived.accuracy();
    long count = o.has("count") ? o.get("count").asLong() : derived.count();
    return new Evaluation(acc, num(o, "loss"), confusion, precision, recall, count);
  }

  /** The normalisation stored in a model's metadata (normalization-mean / normalization-std), or null. */
  static Normalization normalization(Map<String, Object> meta) {
    return Normalization.fromMetadata(meta);
  }

  private static double[] array(JsonNode o, String key, int k, String file, double[] dflt) {
    JsonNode a = o.get(key);
    if (a == null || a.isNull()) {
      return dflt;
    }
    if (!a.isArray() || a.size() != k) {
      throw new IllegalArgumentException("report: " + file + " \"" + key + "\" must hold " + k + " numbers, got "
          + abbreviate(a.toString()));
    }
    double[] out = new double[k];
    for (int i = 0; i < k; i++) {
      out[i] = a.get(i).isNumber() ? a.get(i).asDouble() : Double.NaN;
    }
    return out;
  }

  private static double num(JsonNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null || v.isNull()) {
      return Double.NaN;
    }
    if (v.isNumber()) {
      return v.asDouble();
    }
    if (v.isTextual()) {   // "NaN", "Infinity"
      try {
        return Double.parseDouble(v.asText());
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }
    return Double.NaN;
  }

  private static boolean exists(FileSystem fs, Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot look for " + p + ": " + e, e);
    }
  }

  /** A whole text file, or null when it does not exist. */
  private static String text(FileSystem fs, Path p) {
    if (!exists(fs, p)) {
      return null;
    }
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot read " + p + ": " + e, e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 117) + "..." : s;
  }
}
