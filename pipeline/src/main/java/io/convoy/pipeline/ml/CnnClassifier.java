package io.convoy.pipeline.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.ModelSpecs;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerKind;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.SparkTrainer;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.GradientDescent;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A Spark ML {@link Estimator} that trains a Convoy CNN with the distributed {@link SparkTrainer}
 * (parameter averaging or synchronous SGD) and gives a {@link CnnClassificationModel}.
 *
 * <p>Columns: {@code featuresCol} (default {@code features}) of any {@link FeatureKind} (Spark's
 * image struct, binary CHW bytes, {@code array<float>}, {@code array<double>} or a vector) and
 * {@code labelCol} (default {@code label}), numeric class indices. Params are checked when
 * {@link #fit} (or {@link #transformSchema}) runs; every error names the param and the value.
 *
 * <pre>{@code
 * CnnClassifier cnn = new CnnClassifier().setNetwork(ModelSpec.referenceCnn()).setEpochs(2)
 *     .setLearningRate(1e-3).setBatchSize(128);
 * CnnClassificationModel model = cnn.fit(train);
 * }</pre>
 */
public final class CnnClassifier extends Estimator<CnnClassificationModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String WHO = "CnnClassifier";

  private final String uid;
  private final Param<String> network;
  private final Param<String> strategy;
  private final IntParam epochs;
  private final IntParam batchSize;
  private final Param<String> optimizer;
  private final DoubleParam learningRate;
  private final LongParam seed;
  private final IntParam averagingPeriod;
  private final IntParam partitions;
  private final Param<String> featuresCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;

  /** An estimator with a random uid and the defaults. */
  public CnnClassifier() {
    this(Identifiable$.MODULE$.randomUID("cnnClassifier"));
  }

  /** An estimator with the given uid and the defaults (used by copy and load). */
  public CnnClassifier(String uid) {
    this.uid = uid;
    network = new Param<>(this, "network", "the model as a JSON layer description (Convoy's model keys: input,"
        + " loss, classes, layers)");
    strategy = new Param<>(this, "strategy", "how partitions combine their work: parameter_averaging or sync_sgd");
    epochs = new IntParam(this, "epochs", "passes over the training data (>= 1)");
    batchSize = new IntParam(this, "batchSize", "global mini-batch size (>= 1)");
    optimizer = new Param<>(this, "optimizer", "optimizer kind: " + OptimizerKind.names());
    learningRate = new DoubleParam(this, "learningRate", "learning rate (> 0)");
    seed = new LongParam(this, "seed", "seeds initialisation, partitioning, shuffling and dropout");
    averagingPeriod = new IntParam(this, "averagingPeriod", "parameter averaging: mini-batches between two"
        + " averagings; 0 = once per epoch (>= 0)");
    partitions = new IntParam(this, "partitions", "data partitions = replicas; 0 = Spark's default parallelism"
        + " (>= 0)");
    featuresCol = new Param<>(this, "featuresCol", "features column name");
    labelCol = new Param<>(this, "labelCol", "label column name");
    predictionCol = new Param<>(this, "predictionCol", "prediction column name");
    probabilityCol = new Param<>(this, "probabilityCol", "class probabilities column name");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", "raw prediction (logits) column name");
    setDefault(network, toJson(ModelSpec.referenceCnn()));
    setDefault(strategy, Strategy.PARAMETER_AVERAGING.configName());
    setDefault(epochs, 10);
    setDefault(batchSize, 128);
    setDefault(optimizer, "adam");
    setDefault(learningRate, 1e-3);
    setDefault(seed, 42L);
    setDefault(averagingPeriod, 0);
    setDefault(partitions, 0);
    setDefault(featuresCol, "features");
    setDefault(labelCol, "label");
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(rawPredictionCol, "rawPrediction");
  }

  @Override
  public String uid() {
    return uid;
  }

  // ------------------------------------------------------------------------------------ params

  /** The model as JSON (see {@link ModelSpecs}); default: {@link ModelSpec#referenceCnn()}. */
  public Param<String> network() {
    return network;
  }

  /** parameter_averaging (default) or sync_sgd. */
  public Param<String> strategy() {
    return strategy;
  }

  /** Epochs, default 10. */
  public IntParam epochs() {
    return epochs;
  }

  /** Global mini-batch size, default 128. */
  public IntParam batchSize() {
    return batchSize;
  }

  /** Optimizer kind, default adam. */
  public Param<String> optimizer() {
    return optimizer;
  }

  /** Learning rate, default 1e-3. */
  public DoubleParam learningRate() {
    return learningRate;
  }

  /** Seed, default 42. */
  public LongParam seed() {
    return seed;
  }

  /** Averaging period in mini-batches, default 0 (once per epoch). */
  public IntParam averagingPeriod() {
    return averagingPeriod;
  }

  /** Partitions, default 0 (Spark's default parallelism). */
  public IntParam partitions() {
    return partitions;
  }

  /** Features column, default {@code features}. */
  public Param<String> featuresCol() {
    return featuresCol;
  }

  /** Label column, default {@code label}. */
  public Param<String> labelCol() {
    return labelCol;
  }

  /** Prediction column, default {@code prediction}. */
  public Param<String> predictionCol() {
    return predictionCol;
  }

  /** Probability column, default {@code probability}. */
  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  /** Raw prediction column, default {@code rawPrediction}. */
  public Param<String> rawPredictionCol() {
    return rawPredictionCol;
  }

  /** Sets the network from a JSON description. */
  public CnnClassifier setNetwork(String json) {
    set(network, json);
    return this;
  }

  /** Sets the network from a spec. */
  public CnnClassifier setNetwork(ModelSpec spec) {
    if (spec == null) {
      throw new IllegalArgumentException(WHO + " param network: spec must not be null");
    }
    set(network, toJson(spec));
    return this;
  }

  /** Sets the strategy: parameter_averaging or sync_sgd. */
  public CnnClassifier setStrategy(String value) {
    set(strategy, value);
    return this;
  }

  /** Sets the epochs. */
  public CnnClassifier setEpochs(int value) {
    set(epochs, value);
    return this;
  }

  /** Sets the global batch size. */
  public CnnClassifier setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  /** Sets the optimizer kind. */
  public CnnClassifier setOptimizer(String value) {
    set(optimizer, value);
    return this;
  }

  /** Sets the learning rate. */
  public CnnClassifier setLearningRate(double value) {
    set(learningRate, value);
    return this;
  }

  /** Sets the seed. */
  public CnnClassifier setSeed(long value) {
    set(seed, value);
    return this;
  }

  /** Sets the averaging period. */
  public CnnClassifier setAveragingPeriod(int value) {
    set(averagingPeriod, value);
    return this;
  }

  /** Sets the partition count. */
  public CnnClassifier setPartitions(int value) {
    set(partitions, value);
    return this;
  }

  /** Sets the features column. */
  public CnnClassifier setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  /** Sets the label column. */
  public CnnClassifier setLabelCol(String value) {
    set(labelCol, value);
    return this;
  }

  /** Sets the prediction column. */
  public CnnClassifier setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  /** Sets the probability column. */
  public CnnClassifier setProbabilityCol(String value) {
    set(probabilityCol, value);
    return this;
  }

  /** Sets the raw prediction column. */
  public CnnClassifier setRawPredictionCol(String value) {
    set(rawPredictionCol, value);
    return this;
  }

  // ------------------------------------------------------------------------------------ checked values

  /** The network param parsed and checked; errors name the param, the key path and the value. */
  public ModelSpec modelSpec() {
    return parseNetwork(getOrDefault(network), WHO);
  }

  static ModelSpec parseNetwork(String json, String who) {
    if (json == null || json.isBlank()) {
      throw new IllegalArgumentException(who + " param network must be a JSON model description, got "
          + (json == null ? "null" : "\"\""));
    }
    Map<String, Object> tree;
    try {
      tree = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(who + " param network is not a JSON object (" + e.getOriginalMessage()
          + "), got: " + abbreviate(json), e);
    }
    try {
      return ModelSpecs.fromTree(tree, "network");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(who + " param " + e.getMessage(), e);
    }
  }

  static String toJson(ModelSpec spec) {
    try {
      return JSON.writeValueAsString(ModelSpecs.toTree(spec));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the model spec as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** The training settings from the params; errors name the param and the value. */
  SparkTrainOptions trainOptions() {
    int e = (Integer) getOrDefault(epochs);
    if (e < 1) {
      throw new IllegalArgumentException(WHO + " param epochs must be >= 1, got " + e);
    }
    int b = (Integer) getOrDefault(batchSize);
    if (b < 1) {
      throw new IllegalArgumentException(WHO + " param batchSize must be >= 1, got " + b);
    }
    double lr = (Double) getOrDefault(learningRate);
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException(WHO + " param learningRate must be a finite number > 0, got " + lr);
    }
    int period = (Integer) getOrDefault(averagingPeriod);
    if (period < 0) {
      throw new IllegalArgumentException(WHO + " param averagingPeriod must be >= 0 (0 = once per epoch), got "
          + period);
    }
    int parts = (Integer) getOrDefault(partitions);
    if (parts < 0) {
      throw new IllegalArgumentException(WHO + " param partitions must be >= 0 (0 = Spark's default parallelism),"
          + " got " + parts);
    }
    OptimizerKind kind = OptimizerKind.parse(getOrDefault(optimizer), WHO + " param optimizer");
    Strategy st = Strategy.parse(getOrDefault(strategy), WHO + " param strategy");
    TrainOptions t = new TrainOptions(e, b, GradientDescent.MINI_BATCH,
        OptimizerSpec.of(kind, (float) lr, OptimizerSpec.DEFAULT_MOMENTUM), LrSchedule.constant(), InitKind.HE,
        (Long) getOrDefault(seed), 0, 0f);
    return SparkTrainOptions.of(t, st).withPartitions(parts).withAveragingPeriod(period);
  }

  // ------------------------------------------------------------------------------------ Estimator

  @Override
  public StructType transformSchema(StructType schema) {
    modelSpec();
    trainOptions();
    FeatureKind.of(schema, getOrDefault(featuresCol), WHO);
    FeatureKind.checkLabel(schema, getOrDefault(labelCol), WHO);
    return CnnClassificationModel.outputSchema(schema, getOrDefault(predictionCol), getOrDefault(probabilityCol),
        getOrDefault(rawPredictionCol), WHO);
  }

  /** Trains on {@code dataset} with Convoy's Spark trainer. */
  @Override
  public CnnClassificationModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    ModelSpec spec = modelSpec();
    SparkTrainOptions o = trainOptions();
    Dataset<Row> df = dataset.toDF();
    DataFrameSource src = new DataFrameSource(df, getOrDefault(featuresCol), getOrDefault(labelCol), spec.input(),
        spec.numClasses());
    if (!src.kind().isBytes()) {
      o = o.withNormalization(Normalization.unit(spec.input().c()));   // float features are used as they are
    }
    SparkTrainer trainer = new SparkTrainer(df.sparkSession());
    TrainResult r = trainer.train(spec, o, src, null, null, null);
    Normalization norm = src.kind().isBytes() ? trainer.lastNormalization() : null;
    CnnClassificationModel model = new CnnClassificationModel(uid, spec, r.params(), r.buffers(), norm);
    copyValues(model, ParamMap.empty());
    return model.setParent(this);
  }

  @Override
  public CnnClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  // ------------------------------------------------------------------------------------ persistence

  /** Writes the params (Spark's metadata layout); the estimator holds no data. */
  @Override
  public MLWriter write() {
    CnnClassifier self = this;
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter$.MODULE$.saveMetadata(self, path, sparkSession());
      }
    };
  }

  /** The reader Spark's {@code Pipeline.load} and {@code CrossValidator.load} look up. */
  public static MLReader<CnnClassifier> read() {
    return new MLReader<>() {
      @Override
      public CnnClassifier load(String path) {
        DefaultParamsReader.Metadata md = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(),
            CnnClassifier.class.getName());
        CnnClassifier c = new CnnClassifier(md.uid());
        md.getAndSetParams(c, Option.empty());
        return c;
      }
    };
  }

  /** Loads an estimator saved with {@code write().save(path)}. */
  public static CnnClassifier load(String path) {
    return read().load(path);
  }
}
