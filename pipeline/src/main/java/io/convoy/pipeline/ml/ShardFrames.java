package io.convoy.pipeline.ml;

import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.preprocess.ShardSource;
import io.convoy.pipeline.spark.DataChunk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The preprocessing output ({@link ShardSource}: checksummed Arrow shards with a manifest) as a
 * DataFrame for the Spark ML stages: columns {@code index} (long, the record number in the split),
 * {@code features} (binary, the example's {@code C*H*W} unsigned bytes in CHW order) and
 * {@code label} (int). {@link CnnClassifier} reads the binary column as {@link FeatureKind#BYTES}.
 */
public final class ShardFrames {
  /** Column names. */
  public static final String INDEX = "index";
  /** Features column. */
  public static final String FEATURES = "features";
  /** Label column. */
  public static final String LABEL = "label";

  private ShardFrames() {
  }

  /** The schema of {@link #read}. */
  public static StructType schema() {
    return DataTypes.createStructType(List.of(
        DataTypes.createStructField(INDEX, DataTypes.LongType, false),
        DataTypes.createStructField(FEATURES, DataTypes.BinaryType, false),
        DataTypes.createStructField(LABEL, DataTypes.IntegerType, false)));
  }

  /**
   * One split of a committed shard folder (any Hadoop URI) as a DataFrame; shards are read and
   * checked by the tasks (length and CRC32C against the manifest), in Spark's default parallelism.
   */
  public static Dataset<Row> read(SparkSession spark, String folder, String split) {
    ShardSource src = new ShardSource(folder, split);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    TensorShape shape = src.shape(sc.hadoopConfiguration());
    int size = shape.size();
    JavaRDD<DataChunk> chunks = src.load(sc, Math.max(1, sc.defaultParallelism()), 0L, 0);
    JavaRDD<Row> rows = chunks.flatMap(c -> {
      List<Row> out = new ArrayList<>(c.size());
      for (int i = 0; i < c.size(); i++) {
        out.add(RowFactory.create((long) c.indices()[i],
            Arrays.copyOfRange(c.pixels(), i * size, (i + 1) * size), c.labels()[i]));
      }
      return out.iterator();
    });
    return spark.createDataFrame(rows, schema());
  }
}
