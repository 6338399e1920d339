package io.convoy.jobs;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.progress.ExecutorEvents;
import io.convoy.pipeline.progress.ProgressBar;
import io.convoy.pipeline.progress.SparkTimeListener;
import io.convoy.pipeline.report.TrainingReport;
import io.convoy.pipeline.spark.Evaluation;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.SparkTrainer;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainResult;
import io.convoy.pipeline.train.TrainingListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code train} command: creates a run folder, trains with {@link SparkTrainer}, writes
 * {@code config.conf}, {@code metrics.jsonl} (as epochs finish), {@code model.cvm} and checkpoints, then
 * evaluates the model on the test set ({@code evaluation.json}) and writes the HTML training report
 * ({@code report.html}). Shows a progress bar on a terminal (plain lines otherwise), one summary line per
 * epoch with the time split and any straggling tasks, and prints the run folder as the very last line.
 */
final class TrainJob {
  private TrainJob() {}

  static void run(JobConfig c, String resume, PrintStream out) {
    Session s = Session.open(c);
    try {
      Configuration hconf = s.spark().sparkContext().hadoopConfiguration();
      RunDirectory run = RunDirectory.create(c.outputDir(), hconf);
      run.writeText("config.conf", c.render());
      String ckptDir = resume != null && !resume.isEmpty() ? resume
          : c.checkpoint().dir() != null ? c.checkpoint().dir() : run.resolve("checkpoints").toString();
      SparkTrainOptions o = c.sparkTrainOptions(c.checkpoint().everyEpoch() || resume != null ? ckptDir : null,
          resume != null);
      DataSets data = DataSets.forTraining(c);
      SparkTrainer trainer = new SparkTrainer(s.spark())
          .onDivergence(c.train().restartsOnDivergence(), c.train().divergenceLrFactor());
      boolean hasTest = data.test() != null;
      int epochs = c.train().epochs();
      out.printf(Locale.ROOT, "convoy train: %d parameters, %d partition(s), %s, %s%s%n", c.model().paramCount(),
          trainer.partitions(o), o.strategy().configName(),
          data.train().describe(), resume != null ? ", resuming from " + ckptDir : "");
      // under parameter averaging a batch index advances every replica by one batch of its own
      int imagesPerBatch = o.strategy() == Strategy.PARAMETER_AVERAGING
          ? c.train().batchSize() * trainer.partitions(o) : c.train().batchSize();
      ProgressBar progress = new ProgressBar(out, out == System.out && System.console() != null, System::nanoTime)
          .imagesPerBatch(imagesPerBatch).totalEpochs(epochs);
      SparkTimeListener times = new SparkTimeListener();
      s.spark().sparkContext().addSparkListener(times);
      ExecutorEvents executors = new ExecutorEvents(out);
      s.spark().sparkContext().addSparkListener(executors);
      progress.epochDetail(times::describeEpoch);
      // onBatch also comes from Spark's listener-bus thread while an averaging round runs (live
      // progress from executor heartbeats); the trainer never lets those calls overlap its own
      TrainingListener listener = new TrainingListener() {
        @Override
        public void onEpoch(EpochMetrics m) {
          run.appendMetrics(m, hasTest);
          progress.onEpoch(m);
        }

        @Override
        public void onBatch(int epoch, int batch, int batches, double loss) {
          progress.onBatch(epoch, batch, batches, loss);
        }
      };
      TrainResult r;
      try {
        r = trainer.train(c.model(), o, data.train(), data.validation(), data.test(), listener);
      } finally {
        s.spark().sparkContext().removeSparkListener(times);
        s.spark().sparkContext().removeSparkListener(executors);
      }

      Map<String, Object> meta = new LinkedHashMap<>();
      Normalization norm = o.normalization() != null ? o.normalization() : normalizationFromCheckpoint(ckptDir, hconf);
      if (norm != null) {
        meta.put("normalization-mean", floats(norm.mean()));
        meta.put("normalization-std", floats(norm.std()));
      }
      meta.put("best-epoch", r.bestEpoch());
      if (!c.data().classNames().isEmpty()) {
        meta.put("class-names", c.data().classNames());
      }
      SavedModel model = new SavedModel(c.model(), r.params(), r.buffers(), meta);
      ModelFile.write(run.resolve("model.cvm"), hconf, model);
      if (!c.checkpoint().everyEpoch() && resume == null) {
        int last = r.history().isEmpty() ? 0 : r.last().epoch();
        Checkpoint ck = new Checkpoint(model, c.optimizer(), r.optimizerState(), r.optimizerStep(), last, 0L,
            c.train().seed(), 0L, c.render(), r.history());
        ModelFile.write(new Path(ckptDir, String.format(Locale.ROOT, "epoch-%04d.ckpt", last)), hconf, ck);
      }
      out.println("model: " + run.resolve("model.cvm"));
      if (hasTest) {
        Evaluation e = trainer.evaluate(model, norm, data.test());
        EvaluateJob.writeJson(e, run.resolve("model.cvm").toString(), c.data().test().key(),
            run.resolve("evaluation.json"), hconf);
        out.printf(Locale.ROOT, "test accuracy %.4f on %d images: %s%n", e.accuracy(), e.count(),
            run.resolve("evaluation.json"));
      }
      Path report = TrainingReport.write(run.path(), hconf, reportSamples(c, hconf));
      out.println("report: " + report);
      out.println(run.display());
      out.flush();
    } finally {
      s.close();
    }
  }

  /**
   * Test images for the report's activation maps (and its confusion matrix when there is no test
   * evaluation): the configured test set, else the validation set; null when neither is an IDX pair.
   */
  static ImageSet reportSamples(JobConfig c, Configuration hconf) {
    JobConfig.DataFiles files = c.data().test().isSet() ? c.data().test() : c.data().validation();
    if (!files.isSet()) {
      return null;
    }
    ImageSet all = IdxReader.read(new Path(files.images()), new Path(files.labels()), hconf, c.model().numClasses());
    return all.size() > 1000 ? all.slice(0, 1000) : all;
  }

  static List<Double> floats(float[] v) {
    Double[] d = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = (double) v[i];
    }
    return List.of(d);
  }

  /** The normalisation the trainer computed, from the newest checkpoint's metadata; null when none. */
  private static Normalization normalizationFromCheckpoint(String dir, Configuration conf) {
    try {
      Path d = new Path(dir);
      FileSystem fs = d.getFileSystem(conf);
      if (!fs.exists(d)) {
        return null;
      }
      Path newest = null;
      for (FileStatus f : fs.listStatus(d)) {
        String n = f.getPath().getName();
        if (n.matches("epoch-\\d+\\.ckpt") && (newest == null || n.compareTo(newest.getName()) > 0)) {
          newest = f.getPath();
        }
      }
      return newest == null ? null : Session.normalization(ModelFile.readCheckpoint(newest, conf).model());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoint.dir " + dir + ": " + e, e);
    }
  }

  /** A SparkSession for one job: stopped at the end only if this job created it. */
  record Session(SparkSession spark, boolean owned) implements AutoCloseable {
    static Session open(JobConfig c) {
      boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
      return new Session(Sessions.create(c.spark()), !existed);
    }

    /** The normalisation stored in a model's metadata, or null. */
    static Normalization normalization(SavedModel m) {
      if (m.metadata().get("normalization-mean") instanceof List<?> mean
          && m.metadata().get("normalization-std") instanceof List<?> std) {
        float[] a = new float[mean.size()];
        float[] b = new float[std.size()];
        for (int i = 0; i < a.length; i++) {
          a[i] = ((Number) mean.get(i)).floatValue();
        }
        for (int i = 0; i < b.length; i++) {
          b[i] = ((Number) std.get(i)).floatValue();
        }
        return new Normalization(a, b);
      }
      return null;
    }

    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
  }
}
