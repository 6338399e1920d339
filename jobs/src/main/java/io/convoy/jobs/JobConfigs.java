package io.convoy.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.ModelSpecs;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerKind;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.preprocess.PreprocessConfig;
import io.convoy.pipeline.spark.LrScaling;
import io.convoy.pipeline.spark.Strategy;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loads a job configuration: the defaults ({@code conf/reference.conf}, packaged as
 * {@code io/convoy/jobs/reference.conf}), then the job file, then {@code key=value} overrides from the
 * command line, and checks it into a {@link JobConfig}. Every error is a {@link JobConfigException}
 * naming the key and the value found.
 */
public final class JobConfigs {
  /** Classpath location of the defaults. */
  public static final String REFERENCE = "io/convoy/jobs/reference.conf";

  /** Subtrees whose keys are free: passed on as they are or checked by the model parser. */
  private static final Set<String> FREE = Set.of("spark.conf", "model", "preprocess.normalize");

  private static final List<String> DATA_SETS = List.of("test", "validation", "train");

  private JobConfigs() {}

  /** The defaults alone. */
  public static Config reference() {
    Config ref = ConfigFactory.parseResources(JobConfigs.class.getClassLoader(), REFERENCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
    return ref;
  }

  /**
   * Merges the defaults, the job file and the overrides and resolves substitutions. Overrides are
   * {@code key=value} in HOCON ({@code train.epochs=3}); a value HOCON cannot parse is taken as a plain
   * string, so {@code spark.master=local[2]} works unquoted.
   */
  public static Config load(File jobFile, List<String> overrides) {
    Config job;
    try {
      job = ConfigFactory.parseFile(jobFile, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new JobConfigException("cannot read config file " + jobFile + ": " + e.getMessage(), e);
    }
    return merge(job, overrides);
  }

  /** Like {@link #load(File, List)} with the job configuration given as HOCON text (for tests and notebooks). */
  public static Config loadString(String hocon, List<String> overrides) {
    Config job;
    try {
      job = ConfigFactory.parseString(hocon);
    } catch (ConfigException e) {
      throw new JobConfigException("cannot parse config: " + e.getMessage(), e);
    }
    return merge(job, overrides);
  }

  private static Config merge(Config job, List<String> overrides) {
    Config merged = parseOverrides(overrides).withFallback(job).withFallback(reference());
    try {
      return merged.resolve();
    } catch (ConfigException e) {
      throw new JobConfigException("cannot resolve config: " + e.getMessage(), e);
    }
  }

  /** Parses {@code key=value} arguments; later ones win. */
  public static Config parseOverrides(List<String> overrides) {
    Config out = ConfigFactory.empty();
    for (String arg : overrides) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new JobConfigException("override '" + arg + "' is not key=value (e.g. train.epochs=3)");
      }
      String key = arg.substring(0, eq).trim();
      String value = arg.substring(eq + 1).trim();
      Config one;
      try {
        one = ConfigFactory.parseString(key + " = " + value);
      } catch (ConfigException e) {
        try {
          one = ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value, "command line"));
        } catch (ConfigException e2) {
          throw new JobConfigException("override '" + arg + "': bad key '" + key + "': " + e2.getMessage(), e2);
        }
      }
      out = one.withFallback(out);
    }
    return out;
  }

  /** Checks a resolved configuration (defaults included) and turns it into records. */
  public static JobConfig parse(Config config) {
    ConfigReader r = new ConfigReader(config);
    ConfigReader.rejectUnknownKeys(config.root(), reference().root(), "", FREE);

    JobConfig.SparkSettings spark = new JobConfig.SparkSettings(r.string("spark.master"), r.string("spark.app-name"),
        r.stringMap("spark.conf"));

    double split = r.number("data.validation-split");
    if (!(split >= 0 && split < 1)) {
      throw new JobConfigException("data.validation-split must be in [0, 1), got " + split);
    }
    float[] mean = r.floatList("data.normalization.mean");
    float[] std = r.floatList("data.normalization.std");
    boolean compute = r.bool("data.normalization.compute");
    if (!compute) {
      if (mean.length == 0 || mean.length != std.length) {
        throw new JobConfigException("data.normalization.mean and data.normalization.std need one value per channel"
            + " when data.normalization.compute = false, got " + mean.length + " and " + std.length + " values");
      }
      for (int c = 0; c < std.length; c++) {
        if (!(std[c] > 0f)) {
          throw new JobConfigException("data.normalization.std[" + c + "] must be > 0, got " + std[c]);
        }
      }
    }
    JobConfig.DataSettings data = new JobConfig.DataSettings(files(r, "data.train"), files(r, "data.validation"),
        split, files(r, "data.test"), compute, mean, std, r.bool("data.augment.flip"),
        r.nonNegativeInt("data.augment.shift"), r.stringList("data.class-names"));
    if (data.validation().isGiven() && split > 0) {
      throw new JobConfigException("data.validation and data.validation-split are both set (split " + split
          + "); give one of them");
    }

    Map<String, Object> modelTree = new LinkedHashMap<>(config.getConfig("model").root().unwrapped());
    modelTree.remove("init");
    InitKind init = enumValue(r, "model.init", InitKind.values());
    if (!(config.getValue("model.layers").unwrapped() instanceof List<?> layers) || layers.isEmpty()) {
      throw new JobConfigException("model.layers must be a non-empty list of layers, got "
          + ConfigReader.show(config.getValue("model.layers")));
    }
    ModelSpec model;
    try {
      model = ModelSpecs.fromTree(modelTree, "model");
    } catch (IllegalArgumentException e) {
      throw new JobConfigException(e.getMessage(), e);
    }

    if (!data.classNames().isEmpty() && data.classNames().size() != model.numClasses()) {
      throw new JobConfigException("data.class-names holds " + data.classNames().size() + " names, expected one per"
          + " class: model.classes = " + model.numClasses());
    }

    OptimizerSpec optimizer;
    try {
      optimizer = new OptimizerSpec(OptimizerKind.parse(r.string("optimizer.kind"), "optimizer.kind"),
          r.floatValue("optimizer.learning-rate"), r.floatValue("optimizer.momentum"), r.floatValue("optimizer.beta1"),
          r.floatValue("optimizer.beta2"), r.floatValue("optimizer.eps"), r.floatValue("optimizer.weight-decay"),
          r.floatValue("optimizer.alpha"), r.floatValue("optimizer.clip-norm"));
    } catch (JobConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new JobConfigException(e.getMessage(), e);
    }

    int epochs = r.positiveInt("train.epochs");
    JobConfig.TrainSettings train = new JobConfig.TrainSettings(epochs, r.positiveInt("train.batch-size"),
        r.choice("train.mode", List.of("mini-batch", "stochastic", "full-batch")), r.longValue("train.seed"),
        r.nonNegativeInt("train.early-stopping.patience"), nonNegative(r, "train.early-stopping.min-delta"),
        strategy(r), r.nonNegativeInt("train.averaging-period"), r.bool("train.average-optimizer-state"),
        r.nonNegativeInt("train.partitions"), r.choice("train.on-divergence", List.of("stop", "restart")),
        r.floatValue("train.divergence-lr-factor"), r.positiveInt("train.divergence-max-restarts"),
        LrScaling.parse(r.choice("train.averaging-lr-scaling", List.of("none", "sqrt", "linear")),
            "train.averaging-lr-scaling"));
    if (!(train.divergenceLrFactor() > 0f && train.divergenceLrFactor() < 1f)) {
      throw new JobConfigException("train.divergence-lr-factor must be in (0, 1), got " + train.divergenceLrFactor());
    }

    LrSchedule schedule = schedule(r, epochs);

    JobConfig.CheckpointSettings checkpoint = new JobConfig.CheckpointSettings(r.optionalString("checkpoint.dir"),
        r.bool("checkpoint.every-epoch"));
    String outputDir = r.string("output.dir");
    if (outputDir.isBlank()) {
      throw new JobConfigException("output.dir must not be empty");
    }
    JobConfig.ModelUse evaluate = new JobConfig.ModelUse(r.optionalString("evaluate.model"),
        r.choice("evaluate.data", DATA_SETS), r.optionalString("evaluate.output"));
    JobConfig.ModelUse predict = new JobConfig.ModelUse(r.optionalString("predict.model"),
        r.choice("predict.data", DATA_SETS), r.optionalString("predict.output"));
    if (!compute && mean.length != model.input().c()) {
      throw new JobConfigException("data.normalization.mean has " + mean.length + " values but model.input has "
          + model.input().c() + " channel(s)");
    }
    JobConfig job = new JobConfig(config, spark, data, modelTree, model, init, optimizer, schedule, train, checkpoint, outputDir,
        evaluate, predict);
    try {
      job.sparkTrainOptions(null, false, false);   // the pipeline's own checks (no shard manifest read here)
    } catch (IllegalArgumentException e) {
      throw new JobConfigException(e.getMessage(), e);
    }
    return job;
  }

  private static JobConfig.DataFiles files(ConfigReader r, String key) {
    String images = r.optionalString(key + ".images");
    String labels = r.optionalString(key + ".labels");
    if ((images == null) != (labels == null)) {
      throw new JobConfigException(key + ": images and labels must be given together (" + key + ".images, " + key
          + ".labels), got images="
          + (images == null ? "null" : "'" + images + "'") + " and labels=" + (labels == null ? "null" : "'" + labels + "'"));
    }
    String shards = r.optionalString(key + ".shards");
    if (shards != null && (images != null || labels != null)) {
      throw new JobConfigException(key + ".shards and " + key + ".images/labels are both set (shards='" + shards
          + "', images=" + (images == null ? "null" : "'" + images + "'") + "); give either a shard folder or an IDX pair");
    }
    if (shards != null && shards.isBlank()) {
      throw new JobConfigException(key + ".shards must be a folder URI or null, got ''");
    }
    return new JobConfig.DataFiles(key, images, labels, r.nonNegativeInt(key + ".limit"), shards);
  }

  /**
   * Checks a resolved configuration for the {@code preprocess} command: no unknown keys anywhere, the
   * {@code spark} section, and the {@code preprocess} section through {@code PreprocessConfig.fromTree}
   * (its errors become {@link JobConfigException}s). The model and training sections are not needed.
   */
  public static JobConfig.PreprocessSettings parsePreprocess(Config config) {
    ConfigReader r = new ConfigReader(config);
    ConfigReader.rejectUnknownKeys(config.root(), reference().root(), "", FREE);
    JobConfig.SparkSettings spark = new JobConfig.SparkSettings(r.string("spark.master"), r.string("spark.app-name"),
        r.stringMap("spark.conf"));
    if (!config.hasPathOrNull("preprocess") || config.getIsNull("preprocess")) {
      throw new JobConfigException("preprocess: expected an object with input, output, height and width, got null");
    }
    try {
      return new JobConfig.PreprocessSettings(spark,
          PreprocessConfig.fromTree(config.getConfig("preprocess").root().unwrapped(), "preprocess"));
    } catch (ConfigException e) {
      throw new JobConfigException("preprocess: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new JobConfigException(e.getMessage(), e);
    }
  }

  private static float nonNegative(ConfigReader r, String key) {
    float v = r.floatValue(key);
    if (!(v >= 0f)) {
      throw new JobConfigException(key + " must be >= 0, got " + v);
    }
    return v;
  }

  private static Strategy strategy(ConfigReader r) {
    try {
      return Strategy.parse(r.string("train.strategy"), "train.strategy");
    } catch (JobConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new JobConfigException(e.getMessage(), e);
    }
  }

  private static <E extends Enum<E>> E enumValue(ConfigReader r, String key, E[] values) {
    String raw = r.string(key);
    String v = raw.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    StringBuilder names = new StringBuilder();
    for (E e : values) {
      if (e.name().equals(v)) {
        return e;
      }
      names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw new JobConfigException(key + " must be one of " + names + ", got '" + raw + "'");
  }

  private static LrSchedule schedule(ConfigReader r, int epochs) {
    String kind = r.choice("schedule.kind", List.of("constant", "step", "exponential", "cosine"));
    LrSchedule base;
    switch (kind) {
      case "step" -> {
        int every = r.positiveInt("schedule.every-epochs");
        base = new LrSchedule.StepDecay(every, gamma(r));
      }
      case "exponential" -> base = new LrSchedule.Exponential(gamma(r));
      case "cosine" -> {
        int total = r.isSet("schedule.total-epochs") ? r.positiveInt("schedule.total-epochs") : epochs;
        float min = nonNegative(r, "schedule.min-rate");
        base = new LrSchedule.Cosine(total, min);
      }
      default -> base = LrSchedule.constant();
    }
    int warmup = r.nonNegativeInt("schedule.warmup-epochs");
    return warmup > 0 ? new LrSchedule.Warmup(warmup, base) : base;
  }

  private static float gamma(ConfigReader r) {
    float g = r.floatValue("schedule.gamma");
    if (!(g > 0f && g <= 1f)) {
      throw new JobConfigException("schedule.gamma must be in (0, 1], got " + g);
    }
    return g;
  }
}
