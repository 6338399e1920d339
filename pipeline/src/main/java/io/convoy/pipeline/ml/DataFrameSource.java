package io.convoy.pipeline.ml;

import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.spark.DataChunk;
import io.convoy.pipeline.spark.DataSource;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * A {@link DataSource} over the rows of a DataFrame: a features column (any {@link FeatureKind})
 * and a numeric label column. Record numbers are the rows' positions ({@code zipWithIndex}); rows go
 * to partitions by a seeded affine permutation of the record numbers ({@code (a * i + b) mod n},
 * {@code a} coprime with {@code n}) cut into balanced contiguous pieces, so the assignment is
 * random, reproducible, balanced to within one record and needs no table of size {@code n}. Byte
 * kinds give pixel chunks (the trainer normalises them); float kinds give float chunks used as
 * they are.
 *
 * <p>The DataFrame is held on the driver only (it is not shipped to tasks).
 */
public final class DataFrameSource implements DataSource {
  private static final long serialVersionUID = 1L;
  private static final int CHUNK = 512;

  private final transient Dataset<Row> rows;
  private final String featuresCol;
  private final String labelCol;
  private final FeatureKind kind;
  private final TensorShape shape;
  private final int numClasses;
  private transient long count = -1;

  /**
   * @param data the rows (other columns are ignored)
   * @param featuresCol the features column
   * @param labelCol the numeric label column: class indices {@code 0 .. numClasses-1}
   * @param shape the model input shape every example must have
   * @param numClasses number of classes, > 0
   */
  public DataFrameSource(Dataset<Row> data, String featuresCol, String labelCol, TensorShape shape,
      int numClasses) {
    if (data == null || shape == null) {
      throw new IllegalArgumentException("DataFrameSource: data and shape must not be null");
    }
    if (numClasses <= 0) {
      throw new IllegalArgumentException("DataFrameSource: numClasses must be > 0, got " + numClasses);
    }
    this.kind = FeatureKind.of(data.schema(), featuresCol, "DataFrameSource");
    FeatureKind.checkLabel(data.schema(), labelCol, "DataFrameSource");
    this.rows = data.select(featuresCol, labelCol);
    this.featuresCol = featuresCol;
    this.labelCol = labelCol;
    this.shape = shape;
    this.numClasses = numClasses;
  }

  /** The kind of the features column. */
  public FeatureKind kind() {
    return kind;
  }

  /** One example on its way to its partition. */
  private record Example(int index, int label, byte[] pixels, float[] floats) implements Serializable {
  }

  @Override
  public JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int classes) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("DataFrameSource: partitions must be > 0, got " + partitions);
    }
    long n = count();
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("DataFrameSource: " + n + " rows, at most " + Integer.MAX_VALUE
          + " can be trained on in one fit");
    }
    long a = multiplier(n, seed);
    long b = n == 0 ? 0 : new SplittableRandom(seed ^ 0x2545F4914F6CDD1DL).nextLong(n);
    int check = classes > 0 ? Math.min(classes, numClasses) : numClasses;
    FeatureKind k = kind;
    TensorShape s = shape;
    String fc = featuresCol;
    String lc = labelCol;
    int parts = partitions;
    JavaRDD<Tuple2<Integer, Example>> recs = rows.javaRDD().zipWithIndex().map(t -> {
      Row r = t._1();
      int index = t._2().intValue();
      String where = "row " + index + ", column " + fc;
      Object lv = r.get(1);
      if (lv == null) {
        throw new IllegalArgumentException("row " + index + ", column " + lc + ": label is null");
      }
      double d = ((Number) lv).doubleValue();
      if (d != Math.rint(d) || d < 0 || d >= check) {
        throw new IllegalArgumentException("row " + index + ", column " + lc + ": label " + lv
            + " is not a class index in [0, " + check + ")");
      }
      Example e;
      if (k.isBytes()) {
        e = new Example(index, (int) d, k.bytes(r.get(0), s, where), null);
      } else {
        float[] f = new float[s.size()];
        k.floats(r.get(0), s, null, f, 0, where);
        e = new Example(index, (int) d, null, f);
      }
      long pos = Math.floorMod(Math.addExact(Math.multiplyExact(a, (long) index), b), n);
      return new Tuple2<>((int) (pos * parts / n), e);
    });
    return recs.mapToPair(t -> t).partitionBy(new HashPartitioner(partitions))
        .mapPartitionsWithIndex((p, it) -> pack(p, it, s.size()), true);
  }

  /** A multiplier coprime with {@code n}, derived from the seed. */
  static long multiplier(long n, long seed) {
    if (n <= 1) {
      return 1;
    }
    long a = 1 + new SplittableRandom(seed).nextLong(n - 1);
    while (gcd(a, n) != 1) {
      a = a % (n - 1) + 1;
    }
    return a;
  }

  private static long gcd(long x, long y) {
    return y == 0 ? x : gcd(y, x % y);
  }

  private static Iterator<DataChunk> pack(int partition, Iterator<Tuple2<Integer, Example>> it, int size) {
    List<Example> ex = new ArrayList<>();
    while (it.hasNext()) {
      ex.add(it.next()._2());
    }
    ex.sort(Comparator.comparingInt(Example::index));
    List<DataChunk> out = new ArrayList<>();
    for (int from = 0; from < ex.size(); from += CHUNK) {
      int m = Math.min(CHUNK, ex.size() - from);
      int[] idx = new int[m];
      int[] lab = new int[m];
      boolean floats = ex.get(from).floats() != null;
      byte[] px = floats ? null : new byte[m * size];
      float[] fx = floats ? new float[m * size] : null;
      for (int i = 0; i < m; i++) {
        Example e = ex.get(from + i);
        idx[i] = e.index();
        lab[i] = e.label();
        if (floats) {
          System.arraycopy(e.floats(), 0, fx, i * size, size);
        } else {
          System.arraycopy(e.pixels(), 0, px, i * size, size);
        }
      }
      out.add(floats ? DataChunk.ofFeatures(partition, idx, lab, fx) : new DataChunk(partition, idx, lab, px));
    }
    return out.iterator();
  }

  @Override
  public TensorShape shape() {
    return shape;
  }

  @Override
  public TensorShape shape(Configuration conf) {
    return shape;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public synchronized long count() {
    if (count < 0) {
      count = rows.count();
    }
    return count;
  }

  @Override
  public String describe() {
    return "DataFrame columns " + featuresCol + " (" + kind.name().toLowerCase(java.util.Locale.ROOT) + ") + "
        + labelCol;
  }
}
