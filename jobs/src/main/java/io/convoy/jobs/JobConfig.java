package io.convoy.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions;
import io.convoy.pipeline.preprocess.ShardManifest;
import io.convoy.pipeline.preprocess.ShardSource;
import io.convoy.pipeline.spark.LrScaling;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.TrainOptions;
import java.util.List;
import java.util.Map;

/**
 * A job configuration after loading and checking: every section of {@code conf/reference.conf} as a
 * record. Built by {@link JobConfigs#parse(Config)}; the pipeline records (optimizer, schedule) are
 * already validated, the model tree went through {@code ModelSpecs.fromTree}.
 *
 * @param resolved the merged, resolved configuration (written to a run's {@code config.conf})
 * @param spark the {@code spark} section
 * @param data the {@code data} section
 * @param modelTree the {@code model} section without {@code init}, as plain maps and lists
 * @param model the parsed {@code model} section
 * @param init {@code model.init}
 * @param optimizer the {@code optimizer} section
 * @param schedule the {@code schedule} section
 * @param train the {@code train} section
 * @param checkpoint the {@code checkpoint} section
 * @param outputDir {@code output.dir}
 * @param evaluate the {@code evaluate} section
 * @param predict the {@code predict} section
 */
public record JobConfig(Config resolved, SparkSettings spark, DataSettings data, Map<String, Object> modelTree,
    ModelSpec model, InitKind init, OptimizerSpec optimizer, LrSchedule schedule, TrainSettings train, CheckpointSettings checkpoint,
    String outputDir, ModelUse evaluate, ModelUse predict) {

  /**
   * The {@code spark} section.
   *
   * @param master {@code spark.master}, used only when spark-submit did not set one
   * @param appName {@code spark.app-name}
   * @param conf {@code spark.conf}, passed to Spark as is
   */
  public record SparkSettings(String master, String appName, Map<String, String> conf) {}

  /**
   * One data set: an IDX pair (images and labels files) or a shard folder written by {@code preprocess}
   * (null when not configured), and a record cap.
   *
   * @param key the config section, {@code data.train}, used in messages
   * @param images images file URI or null
   * @param labels labels file URI or null
   * @param limit the first {@code limit} records only (0 = all)
   * @param shards shard folder URI ({@code data.train.shards}) or null; the split read is the section's
   *     name (train, validation or test)
   */
  public record DataFiles(String key, String images, String labels, int limit, String shards) {
    /** An IDX pair without shards. */
    public DataFiles(String key, String images, String labels, int limit) {
      this(key, images, labels, limit, null);
    }

    /** True when both IDX files are given. */
    public boolean isSet() {
      return images != null && labels != null;
    }

    /** True when a shard folder is given. */
    public boolean hasShards() {
      return shards != null;
    }

    /** True when the data set is configured at all (an IDX pair or shards). */
    public boolean isGiven() {
      return isSet() || hasShards();
    }

    /** The split of a shard folder this section reads: the last part of the key. */
    public String split() {
      return key.substring(key.lastIndexOf('.') + 1);
    }
  }

  /**
   * The {@code preprocess} command's settings.
   *
   * @param spark the {@code spark} section
   * @param options the {@code preprocess} section, checked by {@code PreprocessConfig.fromTree}
   */
  public record PreprocessSettings(SparkSettings spark, PreprocessOptions options) {}

  /**
   * The {@code data} section.
   *
   * @param train {@code data.train}
   * @param validation {@code data.validation}
   * @param validationSplit {@code data.validation-split}, in [0, 1)
   * @param test {@code data.test}
   * @param computeNormalization {@code data.normalization.compute}
   * @param mean {@code data.normalization.mean}
   * @param std {@code data.normalization.std}
   * @param flip {@code data.augment.flip}
   * @param shift {@code data.augment.shift}
   */
  public record DataSettings(DataFiles train, DataFiles validation, double validationSplit, DataFiles test,
      boolean computeNormalization, float[] mean, float[] std, boolean flip, int shift, List<String> classNames) {

    /** The data set named by {@code evaluate.data} / {@code predict.data}. */
    public DataFiles named(String name) {
      return switch (name) {
        case "train" -> train;
        case "validation" -> validation;
        default -> test;
      };
    }
  }

  /**
   * The {@code train} section.
   *
   * @param epochs {@code train.epochs}
   * @param batchSize {@code train.batch-size}
   * @param mode {@code train.mode}: mini-batch, stochastic or full-batch
   * @param seed {@code train.seed}
   * @param patience {@code train.early-stopping.patience}, 0 = off
   * @param minDelta {@code train.early-stopping.min-delta}
   * @param strategy {@code train.strategy}
   * @param averagingPeriod {@code train.averaging-period}: mini-batches between averagings, 0 = once per epoch
   * @param averageOptimizerState {@code train.average-optimizer-state}
   * @param partitions {@code train.partitions}, 0 = Spark's default parallelism
   * @param onDivergence {@code train.on-divergence}: stop or restart
   * @param divergenceLrFactor {@code train.divergence-lr-factor}, in (0, 1)
   * @param divergenceMaxRestarts {@code train.divergence-max-restarts}, >= 1
   * @param lrScaling {@code train.averaging-lr-scaling}: none, sqrt or linear
   */
  public record TrainSettings(int epochs, int batchSize, String mode, long seed, int patience, float minDelta,
      Strategy strategy, int averagingPeriod, boolean averageOptimizerState, int partitions, String onDivergence,
      float divergenceLrFactor, int divergenceMaxRestarts, LrScaling lrScaling) {

    /** Restarts allowed after a divergence: 0 under {@code train.on-divergence = stop}. */
    public int restartsOnDivergence() {
      return "restart".equals(onDivergence) ? divergenceMaxRestarts : 0;
    }
  }

  /**
   * The {@code checkpoint} section.
   *
   * @param dir {@code checkpoint.dir}, null for {@code <run dir>/checkpoints}
   * @param everyEpoch {@code checkpoint.every-epoch}
   */
  public record CheckpointSettings(String dir, boolean everyEpoch) {}

  /**
   * The {@code evaluate} or {@code predict} section.
   *
   * @param model model file URI (null when not set)
   * @param data which data set: train, validation or test
   * @param output where the result goes (null: beside the model file)
   */
  public record ModelUse(String model, String data, String output) {}

  /** The pipeline's training options from {@code train}, {@code optimizer}, {@code schedule} and {@code model.init}. */
  public TrainOptions trainOptions() {
    GradientDescent mode = switch (train.mode()) {
      case "stochastic" -> GradientDescent.STOCHASTIC;
      case "full-batch" -> GradientDescent.FULL_BATCH;
      default -> GradientDescent.MINI_BATCH;
    };
    return new TrainOptions(train.epochs(), train.batchSize(), mode, optimizer, schedule, init, train.seed(),
        train.patience(), train.minDelta());
  }

  /**
   * The Spark trainer's options.
   *
   * @param checkpointDir where the trainer writes per-epoch checkpoints, or null for none
   * @param resume continue from the newest checkpoint in {@code checkpointDir}
   */
  public SparkTrainOptions sparkTrainOptions(String checkpointDir, boolean resume) {
    return sparkTrainOptions(checkpointDir, resume, true);
  }

  /**
   * The Spark trainer's options; with {@code useManifest}, training shards whose manifest records a
   * normalisation (computed or given at preprocessing) supply it when {@code data.normalization.compute}
   * is true, read through the active Spark session's Hadoop configuration.
   */
  SparkTrainOptions sparkTrainOptions(String checkpointDir, boolean resume, boolean useManifest) {
    Normalization norm = data.computeNormalization() ? null : new Normalization(data.mean(), data.std());
    if (norm == null && useManifest && data.train().hasShards()) {
      norm = manifestNormalization(data.train());
    }
    Augmentation aug = data.flip() || data.shift() > 0 ? new Augmentation(data.flip(), data.shift()) : Augmentation.NONE;
    return new SparkTrainOptions(trainOptions(), train.strategy(), train.averagingPeriod(),
        train.averageOptimizerState(), train.partitions(), checkpointDir, resume, aug, norm, train.lrScaling());
  }

  /** The normalisation recorded in a shard folder's manifest, or null when preprocessing left it unit ({@code none}). */
  static Normalization manifestNormalization(DataFiles files) {
    org.apache.spark.sql.SparkSession s = org.apache.spark.sql.SparkSession.getActiveSession().isDefined()
        ? org.apache.spark.sql.SparkSession.getActiveSession().get()
        : org.apache.spark.sql.SparkSession.getDefaultSession().isDefined()
            ? org.apache.spark.sql.SparkSession.getDefaultSession().get() : null;
    org.apache.hadoop.conf.Configuration conf = s != null ? s.sparkContext().hadoopConfiguration()
        : new org.apache.hadoop.conf.Configuration();
    ShardManifest m = new ShardSource(files.shards(), files.split()).manifest(conf);
    return "none".equals(m.normalizeMode()) ? null : m.normalization();
  }

  /** The resolved configuration as HOCON text with comments naming where each value came from. */
  public String render() {
    return resolved.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }
}
