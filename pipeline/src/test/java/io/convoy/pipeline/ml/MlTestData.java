package io.convoy.pipeline.ml;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.image.ImageSchema;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Fashion-MNIST slices as DataFrames with every supported features column type. */
final class MlTestData {
  static final String DIR = "file:///usr/share/datasets/fashion-mnist/";

  private MlTestData() {
  }

  static ImageSet read(String set, int from, int to) {
    ImageSet s = IdxReader.read(new Path(DIR + set + "-images-idx3-ubyte.gz"),
        new Path(DIR + set + "-labels-idx1-ubyte.gz"), new Configuration(), 10);
    return s.slice(from, to);
  }

  /**
   * Columns: {@code image} (Spark's image struct, one channel), {@code floats} (array<float>,
   * normalised with {@code norm}), {@code doubles} (array<double>), {@code vec} (vector),
   * {@code label} (double).
   */
  static Dataset<Row> frame(SparkSession spark, ImageSet set, Normalization norm) {
    StructType schema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("image", ImageSchema.columnSchema(), false),
        DataTypes.createStructField("floats", DataTypes.createArrayType(DataTypes.FloatType, false), false),
        DataTypes.createStructField("doubles", DataTypes.createArrayType(DataTypes.DoubleType, false), false),
        DataTypes.createStructField("vec", new VectorUDT(), false),
        DataTypes.createStructField("label", DataTypes.DoubleType, false)));
    List<Row> rows = new ArrayList<>(set.size());
    int n = set.imageSize();
    for (int i = 0; i < set.size(); i++) {
      byte[] px = Arrays.copyOfRange(set.pixels(), i * n, (i + 1) * n);
      Float[] f = new Float[n];
      Double[] d = new Double[n];
      double[] v = new double[n];
      for (int j = 0; j < n; j++) {
        f[j] = norm.apply(px[j] & 0xFF, 0);
        d[j] = (double) f[j];
        v[j] = f[j];
      }
      Row img = RowFactory.create("mem://" + i, 28, 28, 1, 0, px);
      rows.add(RowFactory.create(img, Arrays.asList(f), Arrays.asList(d), Vectors.dense(v),
          (double) set.labels()[i]));
    }
    return spark.createDataFrame(rows, schema);
  }
}
