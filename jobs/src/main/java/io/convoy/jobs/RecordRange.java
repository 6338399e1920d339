package io.convoy.jobs;

import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.spark.DataChunk;
import io.convoy.pipeline.spark.DataSource;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The records {@code [from, to)} of another source, by record number: {@code data.*.limit} keeps
 * {@code [0, limit)} and {@code data.validation-split} cuts the tail of the training set off as the
 * validation set. Chunks keep only records in the range, so the same records are used whatever the
 * partitioning.
 *
 * @param inner the full source
 * @param from first record kept
 * @param to one past the last record kept
 */
public record RecordRange(DataSource inner, long from, long to) implements DataSource {
  private static final long serialVersionUID = 1L;

  public RecordRange {
    if (inner == null || from < 0 || to <= from) {
      throw new IllegalArgumentException("RecordRange needs a source and 0 <= from < to, got " + inner + ", [" + from
          + ", " + to + ")");
    }
  }

  /** {@code source} limited to its first {@code limit} records, or {@code source} itself when {@code limit} is 0. */
  public static DataSource limit(DataSource source, int limit) {
    return limit > 0 ? new RecordRange(source, 0, limit) : source;
  }

  @Override
  public JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int numClasses) {
    long lo = from;
    long hi = to;
    int bytes = shape().size();
    return inner.load(sc, partitions, seed, numClasses).map(c -> cut(c, lo, hi, bytes)).filter(c -> c.size() > 0);
  }

  private static DataChunk cut(DataChunk c, long lo, long hi, int recordBytes) {
    int n = 0;
    for (int i : c.indices()) {
      if (i >= lo && i < hi) {
        n++;
      }
    }
    if (n == c.size()) {
      return c;
    }
    int[] idx = new int[n];
    int[] lab = new int[n];
    byte[] px = new byte[n * recordBytes];
    int w = 0;
    for (int i = 0; i < c.size(); i++) {
      int rec = c.indices()[i];
      if (rec >= lo && rec < hi) {
        idx[w] = rec;
        lab[w] = c.labels()[i];
        System.arraycopy(c.pixels(), i * recordBytes, px, w * recordBytes, recordBytes);
        w++;
      }
    }
    return new DataChunk(c.partition(), idx, lab, px);
  }

  @Override
  public TensorShape shape() {
    return inner.shape();
  }

  @Override
  public int numClasses() {
    return inner.numClasses();
  }

  @Override
  public long count() {
    return Math.max(0, Math.min(to, inner.count()) - from);
  }

  @Override
  public String describe() {
    return inner.describe() + " records [" + from + ", " + to + ")";
  }
}
