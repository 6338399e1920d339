package io.convoy.jobs;

import io.convoy.pipeline.report.TrainingReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code report <run dir>} command: (re)writes a run's {@code report.html} from what the run left
 * (metrics.jsonl, model.cvm, evaluation.json, config.conf). The sample images for the activation maps come
 * from the test (else validation) IDX files named in the run's own {@code config.conf}. Needs no Spark.
 */
final class ReportJob {
  static final String USAGE = "usage: convoy report <run dir>";

  private ReportJob() {}

  static void run(List<String> args, PrintStream out) {
    if (args.size() != 1 || args.get(0).startsWith("--")) {
      throw new JobConfigException("usage: report takes one run folder, got " + args + ". " + USAGE);
    }
    Configuration hconf = new Configuration();
    Path dir = new Path(args.get(0));
    if (dir.toUri().getScheme() == null) {
      dir = new Path(new java.io.File(args.get(0)).getAbsoluteFile().toURI());
    }
    Path configFile = new Path(dir, "config.conf");
    JobConfig config;
    try {
      FileSystem fs = configFile.getFileSystem(hconf);
      if (!fs.exists(new Path(dir, "metrics.jsonl"))) {
        throw new JobConfigException("report: " + dir + " is not a run folder: it has no metrics.jsonl");
      }
      config = fs.exists(configFile) ? JobConfigs.parse(JobConfigs.loadString(read(fs, configFile), List.of())) : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + configFile + ": " + e, e);
    }
    Path file = TrainingReport.write(dir, hconf, config == null ? null : TrainJob.reportSamples(config, hconf));
    out.println(file);
  }

  private static String read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      in.transferTo(buf);
      return buf.toString(StandardCharsets.UTF_8);
    }
  }
}
