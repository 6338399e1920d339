package io.convoy.pipeline.ml;

import io.convoy.kernels.Activations;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.onnx.OnnxExport;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.VectorUDT;
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
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A trained Convoy CNN as a Spark ML {@link Model}: {@link #transform} adds
 * {@code rawPredictionCol} (vector of the logits), {@code probabilityCol} (vector of class
 * probabilities) and {@code predictionCol} (double, the most probable class), the columns that
 * Spark's {@code MulticlassClassificationEvaluator} and {@code BinaryClassificationEvaluator} read.
 *
 * <p>Inference runs per partition in batches of {@link #BATCH} rows with one {@link Network} per
 * task thread; the weights are broadcast once per model and SparkContext. Byte features are
 * normalised with the statistics computed at fit time ({@link #normalization()}).
 *
 * <p>Persistence ({@link #write()}, {@link #load(String)}): {@code path/metadata/} holds Spark's
 * params metadata (as {@code DefaultParamsWriter} writes it) and {@code path/data/model.cvm} the
 * spec, weights and normalisation in Convoy's checksummed model format; any Hadoop path works, also
 * as a stage of a saved {@code PipelineModel}.
 */
public final class CnnClassificationModel extends Model<CnnClassificationModel> implements MLWritable {
  private static final long serialVersionUID = 1L;
  /** Rows per inference call. */
  public static final int BATCH = 256;
  static final String WHO = "CnnClassificationModel";
  /** File of the weights inside a saved model folder. */
  static final String DATA_FILE = "data/model.cvm";

  private final String uid;
  private final ModelData data;
  private final Param<String> featuresCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> rawPredictionCol;
  private transient Broadcast<ModelData> broadcast;
  private transient SparkContext broadcastContext;

  /** What tasks need to score rows: spec, weights, normalisation (null = unit for byte input). */
  record ModelData(ModelSpec spec, float[] params, float[] buffers, Normalization norm) implements Serializable {
  }

  /**
   * A model from trained weights.
   *
   * @param norm normalisation of byte features; null when the model was fitted on float features
   *     (byte input is then scaled by 1/255 only)
   */
  public CnnClassificationModel(String uid, ModelSpec spec, float[] params, float[] buffers, Normalization norm) {
    SavedModel check = new SavedModel(spec, params, buffers, Map.of());   // checks the vector lengths
    this.uid = uid == null ? Identifiable$.MODULE$.randomUID("cnnClassificationModel") : uid;
    this.data = new ModelData(check.spec(), params, buffers, norm);
    featuresCol = new Param<>(this, "featuresCol", "features column name");
    labelCol = new Param<>(this, "labelCol", "label column name");
    predictionCol = new Param<>(this, "predictionCol", "prediction column name");
    probabilityCol = new Param<>(this, "probabilityCol", "class probabilities column name");
    rawPredictionCol = new Param<>(this, "rawPredictionCol", "raw prediction (logits) column name");
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

  /** Features column, default {@code features}. */
  public Param<String> featuresCol() {
    return featuresCol;
  }

  /** Label column (not read by transform; kept for evaluators and tuning), default {@code label}. */
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

  /** Sets the features column. */
  public CnnClassificationModel setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  /** Sets the prediction column. */
  public CnnClassificationModel setPredictionCol(String value) {
    set(predictionCol, value);
    return this;
  }

  /** Sets the probability column. */
  public CnnClassificationModel setProbabilityCol(String value) {
    set(probabilityCol, value);
    return this;
  }

  /** Sets the raw prediction column. */
  public CnnClassificationModel setRawPredictionCol(String value) {
    set(rawPredictionCol, value);
    return this;
  }

  /** The network spec. */
  public ModelSpec modelSpec() {
    return data.spec();
  }

  /** Number of classes. */
  public int numClasses() {
    return data.spec().numClasses();
  }

  /** The weights as a Convoy model (spec, parameters, buffers; arrays shared, not copied). */
  public SavedModel savedModel() {
    Map<String, Object> md = new LinkedHashMap<>();
    if (data.norm() != null) {
      md.put("normalization-mean", floats(data.norm().mean()));
      md.put("normalization-std", floats(data.norm().std()));
    }
    return new SavedModel(data.spec(), data.params(), data.buffers(), md);
  }

  /** Normalisation of byte features computed at fit time; null when fitted on float features. */
  public Normalization normalization() {
    return data.norm();
  }

  /**
   * Writes the model as ONNX ({@link OnnxExport}) to any Hadoop path. With {@code rawPixels} the
   * graph takes pixel values 0..255 (CHW, as floats) and applies {@link #normalization()} itself;
   * without, it takes the normalised input.
   */
  public void exportOnnx(String path, boolean rawPixels, Configuration conf) {
    Normalization n = rawPixels ? (data.norm() != null ? data.norm() : Normalization.unit(data.spec().input().c()))
        : null;
    OnnxExport.write(savedModel(), n, new Path(path), conf == null ? new Configuration() : conf);
  }

  // ------------------------------------------------------------------------------------ Transformer

  static StructType outputSchema(StructType schema, String prediction, String probability, String raw,
      String who) {
    FeatureKind.checkNew(schema, "rawPredictionCol", raw, who);
    FeatureKind.checkNew(schema, "probabilityCol", probability, who);
    FeatureKind.checkNew(schema, "predictionCol", prediction, who);
    List<StructField> f = new ArrayList<>(Arrays.asList(schema.fields()));
    f.add(DataTypes.createStructField(raw, new VectorUDT(), false));
    f.add(DataTypes.createStructField(probability, new VectorUDT(), false));
    f.add(DataTypes.createStructField(prediction, DataTypes.DoubleType, false));
    return DataTypes.createStructType(f);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeatureKind.of(schema, getOrDefault(featuresCol), WHO);
    return outputSchema(schema, getOrDefault(predictionCol), getOrDefault(probabilityCol),
        getOrDefault(rawPredictionCol), WHO);
  }

  /** Adds the three prediction columns; lazy, one pass over the rows. */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema());
    String fc = getOrDefault(featuresCol);
    FeatureKind kind = FeatureKind.of(dataset.schema(), fc, WHO);
    int fi = dataset.schema().fieldIndex(fc);
    Broadcast<ModelData> bc = broadcast(dataset.sparkSession());
    MapPartitionsFunction<Row, Row> f = it -> new Scorer(it, bc.value(), kind, fi, fc);
    return dataset.toDF().mapPartitions(f, Encoders.row(out));
  }

  private synchronized Broadcast<ModelData> broadcast(SparkSession spark) {
    SparkContext sc = spark.sparkContext();
    if (broadcast == null || broadcastContext != sc || sc.isStopped()) {
      broadcast = JavaSparkContext.fromSparkContext(sc).broadcast(data);
      broadcastContext = sc;
    }
    return broadcast;
  }

  /** One reusable network per task thread (rebuilt when the spec changes). */
  private static final ThreadLocal<Network> NETWORK = new ThreadLocal<>();

  static Network network(ModelSpec spec) {
    Network n = NETWORK.get();
    if (n == null || !n.spec().equals(spec)) {
      n = new Network(spec, BATCH);
      NETWORK.set(n);
    }
    return n;
  }

  /** Scores a partition's rows {@link #BATCH} at a time, keeping only one batch in memory. */
  static final class Scorer implements Iterator<Row> {
    private final Iterator<Row> in;
    private final ModelData m;
    private final FeatureKind kind;
    private final int fi;
    private final String col;
    private final Normalization norm;
    private final int size;
    private final int k;
    private final float[] x;
    private final float[] probs;
    private final Row[] rows = new Row[BATCH];
    private final Row[] out = new Row[BATCH];
    private int outCount;
    private int outNext;
    private long seen;

    Scorer(Iterator<Row> in, ModelData m, FeatureKind kind, int fi, String col) {
      this.in = in;
      this.m = m;
      this.kind = kind;
      this.fi = fi;
      this.col = col;
      this.norm = m.norm() != null ? m.norm() : Normalization.unit(m.spec().input().c());
      this.size = m.spec().input().size();
      this.k = m.spec().numClasses();
      this.x = new float[BATCH * size];
      this.probs = new float[BATCH * k];
    }

    @Override
    public boolean hasNext() {
      if (outNext < outCount) {
        return true;
      }
      if (!in.hasNext()) {
        return false;
      }
      fill();
      return outCount > 0;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return out[outNext++];
    }

    private void fill() {
      int b = 0;
      while (b < BATCH && in.hasNext()) {
        Row r = in.next();
        kind.floats(r.get(fi), m.spec().input(), norm, x, b * size, "column " + col + ", row " + seen
            + " of partition " + org.apache.spark.TaskContext.getPartitionId());
        rows[b++] = r;
        seen++;
      }
      Network net = network(m.spec());
      float[] logits = net.forwardOutput(m.params(), m.buffers(), x, b, false, 0L);
      if (m.spec().loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
        Activations.softmaxForward(probs, logits, b, k);
      } else {
        System.arraycopy(logits, 0, probs, 0, b * k);
      }
      for (int i = 0; i < b; i++) {
        double[] raw = new double[k];
        double[] p = new double[k];
        int best = 0;
        for (int c = 0; c < k; c++) {
          raw[c] = logits[i * k + c];
          p[c] = probs[i * k + c];
          if (probs[i * k + c] > probs[i * k + best]) {
            best = c;
          }
        }
        Row r = rows[i];
        Object[] v = new Object[r.length() + 3];
        for (int j = 0; j < r.length(); j++) {
          v[j] = r.get(j);
        }
        v[r.length()] = new DenseVector(raw);
        v[r.length() + 1] = new DenseVector(p);
        v[r.length() + 2] = (double) best;
        out[i] = RowFactory.create(v);
        rows[i] = null;
      }
      outCount = b;
      outNext = 0;
    }
  }

  @Override
  public CnnClassificationModel copy(ParamMap extra) {
    CnnClassificationModel c = new CnnClassificationModel(uid, data.spec(), data.params(), data.buffers(),
        data.norm());
    copyValues(c, extra);
    return c.setParent(parent());
  }

  // ------------------------------------------------------------------------------------ persistence

  private static List<Double> floats(float[] v) {
    List<Double> l = new ArrayList<>(v.length);
    for (float f : v) {
      l.add((double) f);
    }
    return l;
  }

  private static float[] floats(Object o, String where) {
    if (!(o instanceof List<?> l)) {
      throw new IllegalArgumentException(where + ": expected a list of numbers, got " + o);
    }
    float[] v = new float[l.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) l.get(i)).floatValue();
    }
    return v;
  }

  /** Writes Spark's params metadata and {@code data/model.cvm}. */
  @Override
  public MLWriter write() {
    CnnClassificationModel self = this;
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter$.MODULE$.saveMetadata(self, path, sparkSession());
        ModelFile.write(new Path(path, DATA_FILE), sparkSession().sparkContext().hadoopConfiguration(),
            self.savedModel());
      }
    };
  }

  /** The reader Spark's {@code PipelineModel.load} looks up. */
  public static MLReader<CnnClassificationModel> read() {
    return new MLReader<>() {
      @Override
      public CnnClassificationModel load(String path) {
        DefaultParamsReader.Metadata md = DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(),
            CnnClassificationModel.class.getName());
        Path file = new Path(path, DATA_FILE);
        SavedModel m = ModelFile.readModel(file, sparkSession().sparkContext().hadoopConfiguration());
        Object mean = m.metadata().get("normalization-mean");
        Normalization norm = mean == null ? null : new Normalization(floats(mean, file + " normalization-mean"),
            floats(m.metadata().get("normalization-std"), file + " normalization-std"));
        CnnClassificationModel model = new CnnClassificationModel(md.uid(), m.spec(), m.params(), m.buffers(), norm);
        md.getAndSetParams(model, Option.empty());
        return model;
      }
    };
  }

  /** Loads a model saved with {@code write().save(path)} from any Hadoop path. */
  public static CnnClassificationModel load(String path) {
    return read().load(path);
  }
}
