package io.convoy.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.convoy.pipeline.data.Augmentation;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.TrainOptions;
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
   * One IDX data set: images and labels files (null when not configured) and a record cap.
   *
   * @param key the config section, {@code data.train}, used in messages
   * @param images images file URI or null
   * @param labels labels file URI or null
   * @param limit the first {@code limit} records only (0 = all)
   */
  public record DataFiles(String key, String images, String labels, int limit) {
    /** True when both files are given. */
    public boolean isSet() {
      return images != null && labels != null;
    }
  }

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
      boolean computeNormalization, float[] mean, float[] std, boolean flip, int shift) {

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
   */
  public record TrainSettings(int epochs, int batchSize, String mode, long seed, int patience, float minDelta,
      Strategy strategy, int averagingPeriod, boolean averageOptimizerState, int partitions) {}

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
    Normalization norm = data.computeNormalization() ? null : new Normalization(data.mean(), data.std());
    Augmentation aug = data.flip() || data.shift() > 0 ? new Augmentation(data.flip(), data.shift()) : Augmentation.NONE;
    return new SparkTrainOptions(trainOptions(), train.strategy(), train.averagingPeriod(),
        train.averageOptimizerState(), train.partitions(), checkpointDir, resume, aug, norm);
  }

  /** The resolved configuration as HOCON text with comments naming where each value came from. */
  public String render() {
    return resolved.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
  }
}
